from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "hmskort.site"
    label = "site"
    verbose_name = "Site"
