from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import fulfilment_views as fv
from . import invoicing_views as iv
from . import maintenance, news, prices, views

app_name = "backoffice"
urlpatterns = [
    path(_("office/"), views.home, name="home"),
    path(_("office/support/"), views.support, name="support"),
    path(_("office/cards/<int:pk>/"), views.card_detail, name="card"),
    path(_("office/cards/<int:pk>/<slug:action>/"), views.card_action, name="card_action"),
    path(_("office/companies/<str:orgnr>/"), views.company_detail, name="company"),
    path(_("office/verification/"), fv.verification, name="verification"),
    path(_("office/verification/<int:pk>/"), fv.verification_line, name="verification_line"),
    path(
        _("office/verification/<int:pk>/<slug:which>/"),
        fv.verification_image,
        name="verification_image",
    ),
    path(_("office/production/"), fv.production, name="production"),
    path(_("office/production/<int:pk>/"), fv.batch_detail, name="batch"),
    path(_("office/production/<int:pk>/<slug:step>/"), fv.batch_step, name="batch_step"),
    path(_("office/production/<int:pk>/file/<slug:kind>/"), fv.batch_file, name="batch_file"),
    path(
        _("office/production/<int:pk>/preview/<int:line_pk>/"),
        fv.batch_preview,
        name="batch_preview",
    ),
    path(_("office/shipments/<int:pk>/packing-list/"), fv.packing_list, name="packing_list"),
    path(_("office/invoices/"), iv.invoices, name="invoices"),
    path(_("office/invoices/make/"), iv.invoices_make, name="invoices_make"),
    path(_("office/invoices/export.csv"), iv.invoices_csv, name="invoices_csv"),
    path(_("office/invoices/<int:number>/"), iv.invoice_detail, name="invoice"),
    path(_("office/invoices/<int:number>/credit/"), iv.invoice_credit, name="invoice_credit"),
    path(_("office/invoices/<int:number>/ehf.xml"), iv.invoice_xml, name="invoice_xml"),
    path(_("office/credit-notes/<int:number>/ehf.xml"), iv.credit_note_xml, name="credit_note_xml"),
    path(_("office/prices/"), prices.prices, name="prices"),
    path(_("office/news/"), news.news_list, name="news"),
    path(_("office/news/new/"), news.news_new, name="news_new"),
    path(_("office/news/<int:pk>/"), news.news_item, name="news_item"),
    path(_("office/news/<int:pk>/publishing/"), news.news_publishing, name="news_publishing"),
    path(_("office/maintenance/"), maintenance.maintenance, name="maintenance"),
    path(
        _("office/maintenance/<int:pk>/cancel/"),
        maintenance.maintenance_cancel,
        name="maintenance_cancel",
    ),
]
