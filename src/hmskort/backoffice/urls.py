from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import views

app_name = "backoffice"
urlpatterns = [
    path(_("office/"), views.home, name="home"),
]
