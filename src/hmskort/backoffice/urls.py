from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import maintenance, views

app_name = "backoffice"
urlpatterns = [
    path(_("office/"), views.home, name="home"),
    path(_("office/maintenance/"), maintenance.maintenance, name="maintenance"),
    path(
        _("office/maintenance/<int:pk>/cancel/"),
        maintenance.maintenance_cancel,
        name="maintenance_cancel",
    ),
]
