"""Rate limits in Django's cache: fixed windows counted with an atomic increment.

Shared by every app that limits a client: the card check page and the API today; secure
upload links and maintenance will count here too. `hit(scope, ident, limit=, window=)` counts
any key; `hit_anonymous` is the per-address limit of anonymous card checks.

With REDIS_URL set the cache is Redis, so the counters are shared by every process; otherwise
each process counts for itself (the embedded default). Counters live only in the cache: a check
never writes to the database.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
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
    count = _count(key, cost, window + 5)
    return Limit(count <= limit, limit, max(0, limit - count), retry_after)


def _redis_client(backend: RedisCache):
    """One client per backend over the cache's connection pool (building a redis-py client
    costs more CPU than the round trip itself)."""
    client = backend.__dict__.get("_hmskort_rate_client")
    if client is None:
        # RedisCache._cache (the client factory) is private and not in django-stubs.
        cache_client = backend._cache  # type: ignore[attr-defined]
        client = backend.__dict__["_hmskort_rate_client"] = cache_client.get_client(write=True)
    return client


def _count(key: str, cost: int, ttl: int) -> int:
    """Add cost to the counter and return the new total, atomically."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        # One round trip: INCRBY and EXPIRE in a pipeline (Django's add() and incr() take three).
        redis_key = cache.make_key(key)
        pipe = _redis_client(cache).pipeline(transaction=False)
        pipe.incrby(redis_key, cost)
        pipe.expire(redis_key, ttl)
        return int(pipe.execute()[0])
    # add() is a no-op when the key exists; incr() holds the backend's lock.
    cache.add(key, 0, timeout=ttl)
    try:
        return cache.incr(key, cost)
    except ValueError:  # expired between add and incr
        cache.add(key, cost, timeout=ttl)
        return cost


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


def client_key(request: HttpRequest) -> str:
    """What anonymous limits count by: the client's IPv4 address, or its IPv6 /64 (one
    subscriber is given a whole /64, so counting single IPv6 addresses would give unlimited
    checks)."""
    address = client_ip(request)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


DAY = 86400


def hit_anonymous(request: HttpRequest) -> Limit:
    """Anonymous card checks: per client (IPv4 address or IPv6 /64) and minute, and per client
    and day (a steady 60 a minute would otherwise be 86,400 a day)."""
    client = client_key(request)
    per_minute = hit("ip", client, limit=settings.HMSKORT_CHECK_RATE_PER_MINUTE, window=60)
    if not per_minute.allowed:
        return per_minute
    daily = hit("ip-day", client, limit=settings.HMSKORT_CHECK_RATE_PER_DAY, window=DAY)
    return daily if not daily.allowed else per_minute
