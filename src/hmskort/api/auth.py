"""API keys: `Authorization: Bearer <key>`, and each key's rate limit and daily quota."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from hmskort import ratelimit
from hmskort.integrations import selectors
from hmskort.integrations.models import ApiKey


class KeyRequest(HttpRequest):
    """A request that passed `api_key_auth`: django-ninja sets `auth` to the key."""

    auth: ApiKey


class ApiKeyAuth(HttpBearer):
    openapi_description = (
        "An API key from the issuer's staff: `Authorization: Bearer hmsk_…`. Keys are stored "
        "hashed; a revoked key answers 401."
    )

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        return selectors.active_api_key(token)


api_key_auth = ApiKeyAuth()


def bearer_key(request: HttpRequest) -> tuple[bool, ApiKey | None]:
    """(sent, key): whether an Authorization: Bearer header came, and the active key it names."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return False, None
    return True, selectors.active_api_key(token.strip())


def hit_key(api_key: ApiKey, *, cards: int = 0) -> ratelimit.Limit:
    """Count one request (per-minute limit) and `cards` card checks (daily quota)."""
    per_minute = ratelimit.hit("key", str(api_key.pk), limit=api_key.rate_per_minute, window=60)
    if not per_minute.allowed or not cards:
        return per_minute
    daily = ratelimit.hit(
        "key-day", str(api_key.pk), limit=api_key.daily_quota, window=86400, cost=cards
    )
    if not daily.allowed:
        # A refused batch checks nothing, so it uses up none of the quota.
        ratelimit.hit(
            "key-day", str(api_key.pk), limit=api_key.daily_quota, window=86400, cost=-cards
        )
    return daily
