from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import staff_views, views

app_name = "accounts"
urlpatterns = [
    path(_("login/"), views.login_page, name="login"),
    path(_("login/id-porten/"), views.oidc_start, name="oidc_start"),
    path(_("login/test/"), views.test_login, name="test_login"),
    path(_("logout/"), views.logout, name="logout"),
    path(_("office/login/"), staff_views.staff_login, name="staff_login"),
    path(_("office/logout/"), staff_views.staff_logout, name="staff_logout"),
]
