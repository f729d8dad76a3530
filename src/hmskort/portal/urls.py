from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import employees, views

app_name = "portal"
urlpatterns = [
    path(_("companies/"), views.companies, name="companies"),
    path(_("companies/<str:orgnr>/"), views.company_detail, name="company"),
    path(_("companies/<str:orgnr>/cards/"), views.company_cards, name="company_cards"),
    path(_("companies/<str:orgnr>/access/new/"), views.delegation_new, name="delegation_new"),
    path(
        _("companies/<str:orgnr>/access/<int:pk>/"),
        views.delegation_detail,
        name="delegation",
    ),
    path(
        _("companies/<str:orgnr>/access/<int:pk>/revoke/"),
        views.delegation_revoke,
        name="delegation_revoke",
    ),
    path(_("companies/<str:orgnr>/employees/"), employees.employees, name="employees"),
    path(
        _("companies/<str:orgnr>/employees/export/"),
        employees.employees_export,
        name="employees_export",
    ),
]
