"""Back office: schedule and cancel maintenance windows (through hmskort.site's services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from hmskort.accounts.staff import StaffRole
from hmskort.audit.services import Actor
from hmskort.site import selectors, services

from .access import staff_view

LOCAL = "%Y-%m-%dT%H:%M"


class WindowForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Starts (Norwegian time)"),
        input_formats=[LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL),
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("Ends (Norwegian time)"),
        input_formats=[LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL),
    )
    message_nb = forms.CharField(
        label=gettext_lazy("Message in bokmål"), widget=forms.Textarea(attrs={"rows": 2})
    )
    message_en = forms.CharField(
        label=gettext_lazy("Message in English"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("starts_at") and data.get("ends_at"):
            try:
                services.validate_window(starts_at=data["starts_at"], ends_at=data["ends_at"])
            except services.MaintenanceWindowError as exc:
                raise forms.ValidationError(exc.messages) from exc
        return data

    def mark_invalid_fields(self) -> None:
        """aria-invalid and aria-describedby on every field with an error."""
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = "error-summary"


def _actor(request: HttpRequest) -> Actor:
    return Actor.staff(request.user.get_username())


@require_http_methods(["GET", "POST"])
@staff_view(StaffRole.ADMINISTRATOR)
def maintenance(request: HttpRequest) -> HttpResponse:
    form = WindowForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                window = services.schedule_window(actor=_actor(request), **form.cleaned_data)
            except services.MaintenanceWindowError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(
                    request,
                    _("Maintenance scheduled %(period)s.")
                    % {"period": selectors.window_period(window)},
                )
                return redirect("backoffice:maintenance")
        form.mark_invalid_fields()
    windows = [
        {"window": w, "period": selectors.window_period(w)} for w in selectors.scheduled_windows()
    ]
    return render(request, "backoffice/maintenance.html", {"form": form, "windows": windows})


@require_POST
@staff_view(StaffRole.ADMINISTRATOR)
def maintenance_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        window = services.cancel_window(window_id=pk, actor=_actor(request))
    except services.MaintenanceWindowError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The maintenance %(period)s is cancelled.")
            % {"period": selectors.window_period(window)},
        )
    return redirect("backoffice:maintenance")
