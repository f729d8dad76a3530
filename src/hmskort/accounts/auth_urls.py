"""Language-independent login URLs registered with the provider: {HMSKORT_BASE_URL}/auth/…"""

from django.urls import path

from . import views

urlpatterns = [
    path("callback", views.oidc_callback, name="oidc_callback"),
]
