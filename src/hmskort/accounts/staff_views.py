"""The staff login: username, password and a TOTP code in one form; failures are throttled."""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from hmskort.audit.services import record

from .staff import StaffRole, roles_of, staff_actor

log = logging.getLogger(__name__)


class StaffLoginForm(forms.Form):
    username = forms.CharField(
        label=gettext_lazy("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"class": "ds-input", "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"class": "ds-input", "autocomplete": "current-password"}),
    )
    otp_token = forms.CharField(
        label=gettext_lazy("Code from your authenticator app (6 digits)"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={
                "class": "ds-input",
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9]{6}",
            }
        ),
    )

    def __init__(self, request: HttpRequest, *args, **kwargs):
        self.request = request
        self.user: User | None = None
        self.device: TOTPDevice | None = None
        super().__init__(*args, **kwargs)

    def clean_otp_token(self) -> str:
        token = self.cleaned_data["otp_token"].strip()
        if not (token.isascii() and token.isdigit()):
            raise forms.ValidationError(_("The code is 6 digits."))
        return token

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        refused = forms.ValidationError(
            _("The username, password or code is wrong."), code="invalid_login"
        )
        username = data["username"]
        user = auth.authenticate(self.request, username=username, password=data["password"])
        if user is None:
            raise refused
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        has_role = user.is_superuser or user.groups.filter(name__in=StaffRole.values).exists()
        allowed = device is not None and device.verify_is_allowed()[0]
        if not (has_role and allowed and device.verify_token(data["otp_token"])):
            # A wrong second factor counts as a failed login for the throttle too.
            user_login_failed.send(
                sender=__name__, credentials={"username": username}, request=self.request
            )
            raise refused
        self.user, self.device = user, device
        return data


def _safe_next(request: HttpRequest, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return reverse("backoffice:home")


@sensitive_post_parameters("password", "otp_token")
@never_cache
@require_http_methods(["GET", "POST"])
def staff_login(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = StaffLoginForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = form.user
        assert user is not None  # a valid form has found the user
        # A fresh session: nothing from a company login or an earlier staff login carries over.
        request.session.flush()
        # django-otp reads the verified device from this attribute at login (it has no stubs).
        user.otp_device = form.device  # type: ignore[attr-defined]
        auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        record(
            actor=staff_actor(user), action="staff.logged_in", target=("auth.user", str(user.pk))
        )
        return redirect(next_url)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "accounts/staff_login.html",
        {"form": form, "next": next_url, "roles": roles_of(request.user)},
        status=status,
    )


@require_POST
def staff_logout(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        record(
            actor=staff_actor(request.user),
            action="staff.logged_out",
            target=("auth.user", str(request.user.pk)),
        )
    auth.logout(request)
    messages.success(request, _("You are logged out."))
    return redirect("accounts:staff_login")


def locked_out(request: HttpRequest, response=None, credentials=None) -> HttpResponse:
    """django-axes: too many failed staff logins from this address or for this username."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    log.warning("staff login locked out after repeated failures")
    page = render(request, "accounts/staff_locked_out.html", {"minutes": minutes}, status=429)
    page["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return page
