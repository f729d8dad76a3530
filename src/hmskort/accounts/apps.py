from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default = True
    name = "hmskort.accounts"
    label = "accounts"


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin, reached only through the staff login and only by administrators."""

    default = False
    default_site = "hmskort.accounts.admin_site.StaffAdminSite"
