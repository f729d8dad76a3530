"""Django's admin for low-level data, behind the one staff login (password and TOTP code)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from .staff import StaffRole, has_role


class StaffAdminSite(admin.AdminSite):
    site_header = "HMS-kort"
    site_title = "HMS-kort"

    def has_permission(self, request: HttpRequest) -> bool:
        return has_role(request.user, StaffRole.ADMINISTRATOR) and super().has_permission(request)

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        # No second login form: the admin uses the back office's (password and TOTP code).
        return redirect_to_login(
            request.GET.get("next") or reverse("admin:index"), reverse("accounts:staff_login")
        )
