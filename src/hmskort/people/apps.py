from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "hmskort.people"
    label = "people"
