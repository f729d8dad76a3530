"""Rate limits in Django's cache: fixed windows counted with an atomic increment.

With REDIS_URL set the cache is Redis, so the counters are shared by every process; otherwise
each process counts for itself (the embedded default). Counters live only in the cache: a check
never writes to the database.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


@dataclass(frozen=True)
class Limit:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets


def hit(scope: str, ident: str, *, limit: int, window: int, cost: int = 1) -> Limit:
    """Count `cost` hits for ident in the current window of `window` seconds."""
    now = time.time()
    window_start = int(now // window) * window
    retry_after = max(1, int(window_start + window - now + 0.999))
    if limit <= 0:
        return Limit(True, 0, 0, retry_after)
    key = f"rl:{scope}:{ident}:{window_start}"
    # add() is a no-op when the key exists, incr() is atomic (INCRBY on Redis).
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key, cost)
    except ValueError:  # expired between add and incr
        cache.add(key, cost, timeout=window + 5)
        count = cost
    return Limit(count <= limit, limit, max(0, limit - count), retry_after)


def _trusted(addr: str) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(
        ip in ipaddress.ip_network(net, strict=False) for net in settings.HMSKORT_TRUSTED_PROXIES
    )


def client_ip(request: HttpRequest) -> str:
    """The client's address. X-Forwarded-For counts only when the peer is a trusted proxy:
    then the right-most address that is not itself a trusted proxy is the client."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    if not settings.HMSKORT_TRUSTED_PROXIES or not _trusted(remote):
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for addr in reversed([a for a in forwarded if a]):
        if not _trusted(addr):
            return addr
    return remote


def hit_anonymous(request: HttpRequest) -> Limit:
    return hit(
        "ip",
        client_ip(request),
        limit=settings.HMSKORT_CHECK_RATE_PER_MINUTE,
        window=60,
    )
