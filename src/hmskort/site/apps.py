from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "hmskort.site"
    label = "site"
    verbose_name = "Site"

    def ready(self) -> None:
        from . import jobs

        # Background jobs wait for the end of a maintenance window (see jobs.py).
        jobs.install()
