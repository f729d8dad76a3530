from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import maintenance, prices, views

app_name = "backoffice"
urlpatterns = [
    path(_("office/"), views.home, name="home"),
    path(_("office/support/"), views.support, name="support"),
    path(_("office/cards/<int:pk>/"), views.card_detail, name="card"),
    path(_("office/cards/<int:pk>/<slug:action>/"), views.card_action, name="card_action"),
    path(_("office/companies/<str:orgnr>/"), views.company_detail, name="company"),
    path(_("office/prices/"), prices.prices, name="prices"),
    path(_("office/maintenance/"), maintenance.maintenance, name="maintenance"),
    path(
        _("office/maintenance/<int:pk>/cancel/"),
        maintenance.maintenance_cancel,
        name="maintenance_cancel",
    ),
]
