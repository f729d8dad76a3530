from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import alerts, employees, ordering, renewal, views

app_name = "portal"
urlpatterns = [
    path(_("companies/"), views.companies, name="companies"),
    path(_("companies/<str:orgnr>/"), views.company_detail, name="company"),
    path(_("companies/<str:orgnr>/cards/"), views.company_cards, name="company_cards"),
    path(_("companies/<str:orgnr>/history/"), views.company_history_page, name="company_history"),
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
    path(_("companies/<str:orgnr>/addresses/"), ordering.addresses, name="addresses"),
    path(
        _("companies/<str:orgnr>/addresses/<int:pk>/"), ordering.address_edit, name="address_edit"
    ),
    path(
        _("companies/<str:orgnr>/addresses/<int:pk>/archive/"),
        ordering.address_archive,
        name="address_archive",
    ),
    path(_("companies/<str:orgnr>/order/"), ordering.order_new, name="order_new"),
    path(_("companies/<str:orgnr>/order/summary/"), ordering.order_review, name="order_review"),
    path(_("companies/<str:orgnr>/order/csv/"), ordering.order_csv, name="order_csv"),
    path(_("companies/<str:orgnr>/orders/"), ordering.order_list, name="orders"),
    path(_("companies/<str:orgnr>/orders/<int:pk>/"), ordering.order_detail, name="order"),
    path(
        _("companies/<str:orgnr>/orders/<int:pk>/<slug:kind>/<int:number>/ehf.xml"),
        ordering.order_document,
        name="order_document",
    ),
    path(
        _("companies/<str:orgnr>/orders/<int:pk>/cancel/"),
        ordering.order_cancel,
        name="order_cancel",
    ),
    path(
        _("companies/<str:orgnr>/orders/<int:pk>/cards/<int:line>/documents/"),
        ordering.order_line_documents,
        name="order_line_documents",
    ),
    path(
        _("companies/<str:orgnr>/orders/<int:pk>/cards/<int:line>/link/"),
        ordering.order_line_link,
        name="order_line_link",
    ),
    path(_("companies/<str:orgnr>/cards/<str:number>/"), ordering.card_detail, name="card"),
    path(
        _("companies/<str:orgnr>/cards/<str:number>/report/"),
        ordering.card_report,
        name="card_report",
    ),
    path(
        _("companies/<str:orgnr>/cards/<str:number>/new-card/"),
        ordering.card_replace,
        name="card_replace",
    ),
    path(
        _("companies/<str:orgnr>/cards/<str:number>/employment-ended/"),
        ordering.card_employment_ended,
        name="card_employment_ended",
    ),
    path(_("upload/<str:token>/"), ordering.upload, name="upload"),
    path(_("my-cards/"), ordering.my_cards, name="my_cards"),
    path(_("companies/<str:orgnr>/employees/"), employees.employees, name="employees"),
    path(
        _("companies/<str:orgnr>/employees/export/"),
        employees.employees_export,
        name="employees_export",
    ),
    path(
        _("companies/<str:orgnr>/employees/export/xlsx/"),
        employees.employees_export_xlsx,
        name="employees_export_xlsx",
    ),
    path(_("companies/<str:orgnr>/alerts/"), alerts.alert_settings, name="alert_settings"),
    path(
        _("alerts/unsubscribe/<str:token>/"), alerts.alerts_unsubscribe, name="alerts_unsubscribe"
    ),
    path(_("companies/<str:orgnr>/renew/"), renewal.renew, name="renew"),
]
