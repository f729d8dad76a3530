"""Staff manage API keys here; the plaintext key is shown once, after creation."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from hmskort.audit.services import Actor

from . import services
from .models import ApiKey, WebhookDelivery, WebhookSubscription


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin[ApiKey]):
    list_display = ("name", "prefix", "rate_per_minute", "daily_quota", "webhook_url", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "contact_email")
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> tuple[str, ...]:
        base = ("name", "contact_email", "rate_per_minute", "daily_quota")
        return base + (("prefix", "webhook_url", "created_at", "revoked_at") if obj else ())

    def get_readonly_fields(
        self, request: HttpRequest, obj: ApiKey | None = None
    ) -> tuple[str, ...]:
        return ("prefix", "webhook_url", "created_at", "revoked_at") if obj else ()

    def save_model(
        self, request: HttpRequest, obj: ApiKey, form: ModelForm[ApiKey], change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        api_key, plaintext = services.create_api_key(
            name=obj.name,
            contact_email=obj.contact_email,
            rate_per_minute=obj.rate_per_minute,
            daily_quota=obj.daily_quota,
            created_by=request.user,
            actor=Actor.staff(request.user.get_username()),
        )
        obj.pk = api_key.pk
        obj.prefix = api_key.prefix
        messages.warning(
            request,
            _(
                "The new API key is %(key)s — copy it now: it is not stored and cannot be shown again."
            )
            % {"key": plaintext},
        )

    @admin.action(description=_("Revoke the selected API keys"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for api_key in queryset:
            services.revoke_api_key(api_key=api_key, actor=Actor.staff(request.user.get_username()))


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin[WebhookSubscription]):
    list_display = ("api_key", "card", "created_at")
    list_select_related = ("api_key", "card")
    search_fields = ("card__number", "api_key__name", "api_key__prefix")
    raw_id_fields = ("api_key", "card")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin[WebhookDelivery]):
    """The delivery log, read-only."""

    list_display = (
        "created_at",
        "api_key",
        "event_type",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
    )
    list_filter = ("status", "event_type")
    list_select_related = ("api_key",)
    search_fields = ("event_id", "api_key__name", "api_key__prefix")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: WebhookDelivery | None = None
    ) -> bool:
        return False
