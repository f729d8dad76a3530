from django.apps import AppConfig


class CompaniesConfig(AppConfig):
    name = "hmskort.companies"
    label = "companies"
