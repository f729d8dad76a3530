"""Reads for integrations. Authenticating a key is one indexed read and never a write."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import ApiKey, WebhookDelivery
from .services import KEY_PREFIX, hash_key


def active_api_key(plaintext: str) -> ApiKey | None:
    if not plaintext or not plaintext.startswith(KEY_PREFIX) or len(plaintext) > 100:
        # Same indexed read for a junk key as for a real one.
        ApiKey.objects.filter(key_hash="0" * 64).first()
        return None
    return ApiKey.objects.filter(key_hash=hash_key(plaintext), revoked_at__isnull=True).first()


def deliveries_for(api_key: ApiKey, status: str | None = None) -> QuerySet[WebhookDelivery]:
    qs = WebhookDelivery.objects.filter(api_key=api_key).order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status=status)
    return qs
