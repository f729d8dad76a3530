"""Staff pages for the site (the Django admin until the back office has them): maintenance
windows through the services (validated, audited), operational messages; news read-only (the
back office writes it)."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from hmskort.audit.services import Actor

from . import selectors, services
from .models import MaintenanceWindow, NewsItem, ServiceMessage


class MaintenanceWindowForm(forms.ModelForm):
    class Meta:
        model = MaintenanceWindow
        fields = ("starts_at", "ends_at", "message_nb", "message_en")

    def clean(self):
        super().clean()
        data = self.cleaned_data
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at and ends_at:
            try:
                services.validate_window(
                    starts_at=starts_at, ends_at=ends_at, exclude_pk=self.instance.pk
                )
            except services.MaintenanceWindowError as exc:
                raise forms.ValidationError(exc.messages) from exc
        return data


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin[MaintenanceWindow]):
    form = MaintenanceWindowForm
    list_display = ("id", "starts_at", "ends_at", "period", "cancelled_at", "created_by")
    list_filter = ("cancelled_at",)
    actions = ["cancel_windows"]

    @admin.display(description=_("when (Norwegian time)"))
    def period(self, window):
        return selectors.window_period(window)

    def has_delete_permission(self, request, obj=None):
        return False  # cancel instead: the window stays on record

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.cancelled_at is not None:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        actor = Actor.staff(request.user.get_username())
        fields = {
            "starts_at": form.cleaned_data["starts_at"],
            "ends_at": form.cleaned_data["ends_at"],
            "message_nb": form.cleaned_data["message_nb"],
            "message_en": form.cleaned_data["message_en"],
        }
        if change:
            original = MaintenanceWindow.objects.get(pk=obj.pk)
            services.update_window(window=original, actor=actor, **fields)
        else:
            obj.pk = services.schedule_window(actor=actor, **fields).pk

    @admin.action(description=_("Cancel the selected maintenance windows"))
    def cancel_windows(self, request, queryset):
        actor = Actor.staff(request.user.get_username())
        done = 0
        for window in queryset.filter(cancelled_at__isnull=True):
            services.cancel_window(window_id=window.pk, actor=actor)
            done += 1
        self.message_user(
            request,
            ngettext("%(n)d window cancelled.", "%(n)d windows cancelled.", done) % {"n": done},
            messages.SUCCESS,
        )


@admin.register(ServiceMessage)
class ServiceMessageAdmin(admin.ModelAdmin[ServiceMessage]):
    list_display = ("title_nb", "severity", "publish_at", "unpublish_at")
    list_filter = ("severity",)
    search_fields = ("title_nb", "title_en")


@admin.register(NewsItem)
class NewsItemAdmin(admin.ModelAdmin[NewsItem]):
    """Read-only here: news is written and published in the back office (/kontor/nyheter/),
    through the services, which validate and audit every change."""

    list_display = ("title_nb", "published_on", "unpublish_on", "is_published")
    list_filter = ("is_published",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
