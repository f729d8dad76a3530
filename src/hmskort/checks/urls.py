from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import views

app_name = "checks"
urlpatterns = [
    path(_("check/"), views.check_card, name="check"),
    # The holder's photo on a valid card's QR landing: a signed link that expires.
    path(_("check/photo/<str:token>/"), views.qr_photo, name="qr_photo"),
    # The URL in the card's QR code: /sjekk/<token>/ (and /en/check/<token>/).
    path(_("check/<slug:token>/"), views.qr_landing, name="qr"),
]
