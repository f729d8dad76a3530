from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import views

# Top-level names (no namespace): the maintenance middleware keeps these open during a window.
urlpatterns = [
    path("", views.home, name="home"),
    path(_("status/"), views.status, name="status"),
    path(_("service-messages/"), views.service_messages, name="service_messages"),
    path(_("service-messages/feed/"), views.service_messages_feed, name="service_messages_feed"),
]
