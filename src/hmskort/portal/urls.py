from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import views

app_name = "portal"
urlpatterns = [
    path(_("companies/"), views.companies, name="companies"),
]
