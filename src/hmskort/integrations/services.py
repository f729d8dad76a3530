"""State changes of integrations: API keys, webhook endpoints, subscriptions and deliveries."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hmskort.audit.services import Actor, record

from .models import ApiKey, WebhookDelivery, WebhookSubscription

log = logging.getLogger(__name__)

KEY_PREFIX = "hmsk_"
EVENT_VALIDITY_CHANGED = "card.validity_changed"
SIGNATURE_HEADER = "X-HMSKORT-Signature"
TIMESTAMP_HEADER = "X-HMSKORT-Timestamp"
SQLITE_ID_BATCH = 900  # ids per IN (...) on SQLite


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def integrator_actor(api_key: ApiKey) -> Actor:
    return Actor(kind="integrator", ref=api_key.prefix, label=api_key.name)


# --- API keys ------------------------------------------------------------------------------------


@transaction.atomic
def create_api_key(
    *,
    name: str,
    actor: Actor,
    contact_email: str = "",
    rate_per_minute: int | None = None,
    daily_quota: int | None = None,
    created_by: Any = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns it with the plaintext, which is shown once and never stored."""
    plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey(
        name=name.strip(),
        contact_email=contact_email,
        prefix=plaintext[:13],
        key_hash=hash_key(plaintext),
        created_by=created_by,
    )
    if rate_per_minute is not None:
        api_key.rate_per_minute = rate_per_minute
    if daily_quota is not None:
        api_key.daily_quota = daily_quota
    api_key.full_clean()
    api_key.save()
    record(actor=actor, action="api_key.created", target=api_key, data={"prefix": api_key.prefix})
    return api_key, plaintext


@transaction.atomic
def revoke_api_key(*, api_key: ApiKey, actor: Actor) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        record(actor=actor, action="api_key.revoked", target=api_key)
    return api_key


# --- Webhook endpoint and subscriptions ------------------------------------------------------------


def validate_webhook_url(url: str) -> str:
    """An absolute https URL (http only where settings allow it, e.g. tests), without a user name
    or password, whose host resolves only to public addresses (see `webhook_addresses`)."""
    url = (url or "").strip()
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError as exc:
        raise ValidationError(_("Enter a valid absolute URL.")) from exc
    parts = urlsplit(url)
    if parts.scheme != "https" and not settings.HMSKORT_WEBHOOK_ALLOW_HTTP:
        raise ValidationError(_("The webhook URL must use https."))
    if parts.username is not None or parts.password is not None:
        raise ValidationError(_("The webhook URL must not contain a user name or password."))
    if not settings.HMSKORT_WEBHOOK_ALLOW_PRIVATE:
        try:
            webhook_addresses(url)
        except UnknownHost as exc:
            raise ValidationError(_("The webhook URL's host cannot be found.")) from exc
        except AddressNotAllowed as exc:
            raise ValidationError(
                _("The webhook URL must lead to a public address, not into a private network.")
            ) from exc
    return url


@transaction.atomic
def set_webhook(*, api_key: ApiKey, url: str, actor: Actor) -> str:
    """Set the key's webhook URL and a new signing secret; returns the secret (shown once)."""
    api_key.webhook_url = validate_webhook_url(url)
    api_key.webhook_secret = secrets.token_hex(32)
    api_key.save(update_fields=["webhook_url", "webhook_secret"])
    record(actor=actor, action="webhook.set", target=api_key, data={"url": api_key.webhook_url})
    return api_key.webhook_secret


@transaction.atomic
def remove_webhook(*, api_key: ApiKey, actor: Actor) -> None:
    api_key.webhook_url = ""
    api_key.webhook_secret = ""
    api_key.save(update_fields=["webhook_url", "webhook_secret"])
    WebhookSubscription.objects.filter(api_key=api_key).delete()
    record(actor=actor, action="webhook.removed", target=api_key)


def subscribe_cards(*, api_key: ApiKey, card_ids: Iterable[int]) -> int | None:
    """Subscribe the key to these cards (idempotent). Returns how many are new, or None when
    the database refuses writes (maintenance): the check itself still answers."""
    rows = [WebhookSubscription(api_key=api_key, card_id=card_id) for card_id in set(card_ids)]
    if not rows:
        return 0
    try:
        with transaction.atomic():
            before = WebhookSubscription.objects.filter(api_key=api_key).count()
            WebhookSubscription.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
            return WebhookSubscription.objects.filter(api_key=api_key).count() - before
    except (DatabaseError, IntegrityError):
        log.warning("webhook subscriptions not saved: the database refuses writes")
        return None


def unsubscribe_cards(*, api_key: ApiKey, card_ids: Iterable[int]) -> int:
    deleted, _ = WebhookSubscription.objects.filter(
        api_key=api_key, card_id__in=list(card_ids)
    ).delete()
    return deleted


# --- Deliveries ----------------------------------------------------------------------------------


def enqueue_validity_changes(*, changes: Iterable[Any]) -> int:
    """One pending delivery per subscribed key and changed card; returns how many were created
    (the caller starts the delivery job on commit).

    A mass recompute changes tens of thousands of cards of which few have subscriptions: one
    set-based query finds those, and only they cost any further work.
    """
    by_card = {change.card_id: change for change in changes}
    if not by_card:
        return 0
    with transaction.atomic():
        subscriptions = _live_subscriptions(list(by_card))
        if not subscriptions:
            return 0
        now = timezone.now()
        deliveries = []
        for card_id, api_key_id, url in subscriptions:
            change = by_card[card_id]
            event_id = uuid.uuid4()
            at = getattr(change, "at", None) or now
            deliveries.append(
                WebhookDelivery(
                    api_key_id=api_key_id,
                    card_id=card_id,
                    event_id=event_id,
                    event_type=EVENT_VALIDITY_CHANGED,
                    payload={
                        "id": str(event_id),
                        "type": EVENT_VALIDITY_CHANGED,
                        "created_at": now.isoformat(),
                        "data": {
                            "card_number": change.number,
                            "valid": bool(change.valid),
                            "changed_at": at.isoformat(),
                        },
                    },
                    url=url,
                    next_attempt_at=now,
                )
            )
        WebhookDelivery.objects.bulk_create(deliveries, batch_size=1000)
    return len(deliveries)


def _live_subscriptions(card_ids: list[int]) -> list[tuple[int, int, str]]:
    """(card id, key id, webhook URL) of each live key's subscription to one of these cards."""
    subscriptions = WebhookSubscription._meta.db_table
    keys = ApiKey._meta.db_table
    sql = f"""
        SELECT s.card_id, k.id, k.webhook_url
          FROM {subscriptions} s JOIN {keys} k ON k.id = s.api_key_id
         WHERE s.card_id {{}} AND k.webhook_url <> '' AND k.revoked_at IS NULL
         ORDER BY s.id
    """  # noqa: S608  (only table names are interpolated)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(sql.format("= ANY(%s)"), [card_ids])
            rows: list[tuple[int, int, str]] = cursor.fetchall()
            return rows
        found = []
        for start in range(0, len(card_ids), SQLITE_ID_BATCH):
            ids = card_ids[start : start + SQLITE_ID_BATCH]
            cursor.execute(sql.format(f"IN ({', '.join(['%s'] * len(ids))})"), ids)
            found += cursor.fetchall()
        return found


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """sha256=<hex of HMAC-SHA256(secret, "<timestamp>." + body)>."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff after the n-th failed attempt: base, 2 x base, 4 x base …"""
    base = settings.HMSKORT_WEBHOOK_RETRY_BASE_SECONDS
    return dt.timedelta(seconds=base * 2 ** max(0, attempts - 1))


class UnknownHost(Exception):
    """The webhook URL's host does not resolve."""


class AddressNotAllowed(Exception):
    """The webhook URL's host resolves to an address webhooks may not reach."""


# Ranges `is_global` lets through but a webhook must not reach: NAT64 (the well-known prefix maps
# every IPv4 address, loopback and private ones included, into IPv6) and shared address space.
_NOT_REACHABLE = (
    ipaddress.ip_network("64:ff9b::/96"),
    ipaddress.ip_network("100.64.0.0/10"),
)


def address_allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Public unicast only: no loopback, private, link-local, CGNAT, NAT64, multicast,
    unspecified or reserved address (IPv4-mapped IPv6 addresses are judged as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (
        not address.is_global
        or address.is_multicast
        or address.is_unspecified
        or address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_reserved
        or any(address in network for network in _NOT_REACHABLE)
    )


def webhook_addresses(url: str) -> list[str]:
    """Resolve the URL's host once and return its addresses, to connect to these and no others
    (a second lookup by the HTTP client could answer differently: DNS rebinding). Every address
    must be allowed, unless settings allow private ones (tests, development)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnknownHost(host) from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise UnknownHost(host)
    if not settings.HMSKORT_WEBHOOK_ALLOW_PRIVATE and not all(
        address_allowed(ipaddress.ip_address(a.split("%")[0])) for a in addresses
    ):
        raise AddressNotAllowed(host)
    return addresses


def _transport() -> httpx.BaseTransport | None:
    """The HTTP transport (None: httpx's own). Tests replace it to see what would be sent."""
    return None


def _post_pinned(url: str, address: str, *, body: bytes, headers: dict[str, str]) -> httpx.Response:
    """POST to `address` (already checked) with the URL's host name as Host and TLS server name,
    so the certificate is still verified for the host name."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    netloc = literal + (f":{parts.port}" if parts.port else "")
    target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    host_header = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    with httpx.Client(
        transport=_transport(),
        timeout=settings.HMSKORT_WEBHOOK_TIMEOUT_SECONDS,
        follow_redirects=False,
        trust_env=False,
    ) as client:
        return client.post(
            target,
            content=body,
            headers={**headers, "Host": host_header},
            extensions=extensions,
        )


def _post_to_webhook(url: str, *, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """(status code, error for the delivery log). The log shows the integrator a short generic
    error, never the socket's or resolver's text."""
    try:
        addresses = webhook_addresses(url)
    except UnknownHost:
        return None, "host not found"
    except AddressNotAllowed:
        return None, "address not allowed"
    for address in addresses:
        try:
            response = _post_pinned(url, address, body=body, headers=headers)
        except httpx.ConnectError as exc:
            log.info("webhook connection failed: %s", type(exc).__name__)
            continue
        except httpx.TimeoutException:
            return None, "timeout"
        except httpx.HTTPError as exc:
            log.info("webhook delivery failed: %s", type(exc).__name__)
            return None, "connection failed"
        status_code = response.status_code
        return status_code, "" if 200 <= status_code < 300 else f"HTTP {status_code}"
    return None, "connection failed"


def attempt_delivery(delivery: WebhookDelivery, *, now: dt.datetime | None = None) -> bool:
    """POST one delivery once; record the outcome and schedule a retry or give up."""
    now = now or timezone.now()
    api_key = delivery.api_key
    delivery.attempts += 1
    delivery.last_attempt_at = now
    status_code = None
    error = ""
    if api_key.revoked_at is not None or not api_key.webhook_url:
        error = "endpoint removed"
        delivery.attempts = settings.HMSKORT_WEBHOOK_MAX_ATTEMPTS
    else:
        body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "hmskort-webhooks/1",
            "X-HMSKORT-Event": delivery.event_type,
            "X-HMSKORT-Delivery": str(delivery.event_id),
            "X-HMSKORT-Attempt": str(delivery.attempts),
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(api_key.webhook_secret, timestamp, body),
        }
        status_code, error = _post_to_webhook(delivery.url, body=body, headers=headers)
    delivery.last_status_code = status_code
    delivery.last_error = error
    if not error:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif delivery.attempts >= settings.HMSKORT_WEBHOOK_MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    delivery.save(
        update_fields=[
            "attempts",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "status",
            "delivered_at",
            "next_attempt_at",
        ]
    )
    return not error


def deliver_due(*, now: dt.datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Attempt every pending delivery whose time has come. Safe to run in several workers:
    each delivery is claimed with a conditional update before it is posted."""
    now = now or timezone.now()
    lease = now + dt.timedelta(seconds=settings.HMSKORT_WEBHOOK_TIMEOUT_SECONDS * 4)
    due = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", "next_attempt_at")[:limit]
    )
    outcome = {"delivered": 0, "failed": 0, "retrying": 0}
    for delivery_id, scheduled in due:
        claimed = WebhookDelivery.objects.filter(
            pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at=scheduled
        ).update(next_attempt_at=lease)
        if not claimed:
            continue
        delivery = WebhookDelivery.objects.select_related("api_key").get(pk=delivery_id)
        if attempt_delivery(delivery, now=now):
            outcome["delivered"] += 1
        elif delivery.status == WebhookDelivery.Status.FAILED:
            outcome["failed"] += 1
        else:
            outcome["retrying"] += 1
    return outcome
