from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import views

app_name = "accounts"
urlpatterns = [
    path(_("login/"), views.login_page, name="login"),
    path(_("logout/"), views.logout, name="logout"),
]
