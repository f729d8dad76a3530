"""Rate limits in Django's cache: fixed windows counted with an atomic increment.

Shared by every app that limits a client: the card check page and the API today; secure
upload links and maintenance will count here too. `hit(scope, ident, limit=, window=)` counts
any key; `hit_anonymous` is the per-address limit of anonymous card checks.

With REDIS_URL set the cache is Redis, so the counters are shared by every process; otherwise
each process counts for itself (the embedded default). Counters live only in the cache: a check
never writes to the database.
"""

from __future__ import annotations

import functools
import ipaddress
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class Window:
    """One counter of a limit: its cache key (without the cache's prefix), its limit, and how
    long until the window resets. `limit <= 0` means no limit (nothing counted)."""

    key: str
    limit: int
    window: int
    retry_after: int

    @property
    def ttl(self) -> int:
        return self.window + 5

    def verdict(self, count: int) -> Limit:
        return Limit(count <= self.limit, self.limit, max(0, self.limit - count), self.retry_after)


def window_for(scope: str, ident: str, *, limit: int, window: int) -> Window:
    """The counter of `ident` in the current fixed window of `window` seconds."""
    now = time.time()
    window_start = int(now // window) * window
    retry_after = max(1, int(window_start + window - now + 0.999))
    return Window(f"rl:{scope}:{ident}:{window_start}", limit, window, retry_after)


def hit(scope: str, ident: str, *, limit: int, window: int, cost: int = 1) -> Limit:
    """Count `cost` hits for ident in the current window of `window` seconds."""
    counter = window_for(scope, ident, limit=limit, window=window)
    if limit <= 0:
        return Limit(True, 0, 0, counter.retry_after)
    return counter.verdict(_count(counter.key, cost, counter.ttl))


def _redis_client(backend: RedisCache):
    """One client per backend over the cache's connection pool (building a redis-py client
    costs more CPU than the round trip itself)."""
    client = backend.__dict__.get("_hmskort_rate_client")
    if client is None:
        # RedisCache._cache (the client factory) is private and not in django-stubs.
        cache_client = backend._cache  # type: ignore[attr-defined]
        client = backend.__dict__["_hmskort_rate_client"] = cache_client.get_client(write=True)
    return client


def shared_redis() -> tuple[Any, Callable[[str], str]] | None:
    """The redis-py client behind the default cache and its key maker (the cache's prefix and
    version), when the cache is Redis and so shared by every process; else None."""
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        return None
    return _redis_client(cache), cache.make_key


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
    return any(ip in net for net in _networks(tuple(settings.HMSKORT_TRUSTED_PROXIES)))


@functools.lru_cache(maxsize=8)
def _networks(specs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The trusted proxies' networks, parsed once (every anonymous check asks)."""
    return tuple(ipaddress.ip_network(net, strict=False) for net in specs)


def client_ip(request: HttpRequest) -> str:
    """The client's address. X-Forwarded-For counts only when the peer is a trusted proxy:
    then the right-most address that is not itself a trusted proxy is the client."""
    return _client_ip(request.META)


def _client_ip(meta: Mapping[str, Any]) -> str:
    remote = meta.get("REMOTE_ADDR", "") or "unknown"
    if not settings.HMSKORT_TRUSTED_PROXIES or not _trusted(remote):
        return remote
    forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for addr in reversed([a for a in forwarded if a]):
        if not _trusted(addr):
            return addr
    return remote


def client_key(request: HttpRequest) -> str:
    """What anonymous limits count by: the client's IPv4 address, or its IPv6 /64 (one
    subscriber is given a whole /64, so counting single IPv6 addresses would give unlimited
    checks)."""
    return _address_key(client_ip(request))


@functools.lru_cache(maxsize=4096)
def _address_key(address: str) -> str:
    """`client_key` of an address, worked out once per address (every anonymous check asks)."""
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


def anonymous_windows(meta: Mapping[str, Any]) -> tuple[Window, Window]:
    """The two counters of an anonymous card check of the request with these headers
    (`request.META`, or the WSGI environ): per client (IPv4 address or IPv6 /64) and minute,
    and per client and day (a steady 60 a minute would otherwise be 86,400 a day)."""
    client = _address_key(_client_ip(meta))
    return (
        window_for("ip", client, limit=settings.HMSKORT_CHECK_RATE_PER_MINUTE, window=60),
        window_for("ip-day", client, limit=settings.HMSKORT_CHECK_RATE_PER_DAY, window=DAY),
    )


def anonymous_verdict(windows: tuple[Window, Window], counts: Sequence[int | None]) -> Limit:
    """The answer to counts of the two anonymous counters (None: not counted). The day is
    counted only once the minute allows (a refused hit does not eat the day's allowance)."""
    per_minute, per_day = windows
    minute = _verdict_of(per_minute, counts[0])
    if not minute.allowed:
        return minute
    day = _verdict_of(per_day, counts[1])
    return day if not day.allowed else minute


def _verdict_of(counter: Window, count: int | None) -> Limit:
    if counter.limit <= 0 or count is None:
        return Limit(True, max(0, counter.limit), max(0, counter.limit), counter.retry_after)
    return counter.verdict(count)


def hit_anonymous(request: HttpRequest) -> Limit:
    """Count an anonymous card check (per client and minute, then per client and day).

    The API's lean check counts the same counters in one Redis round trip
    (`cards.checkcache.count_and_fetch`), so the page, the QR landing and the API share them."""
    return count_anonymous(anonymous_windows(request.META))


def count_anonymous(windows: tuple[Window, Window]) -> Limit:
    """Count the two anonymous counters (the minute, then the day if the minute allows)."""
    per_minute, per_day = windows
    minute = _count_window(per_minute)
    if minute is not None and minute > per_minute.limit:
        return anonymous_verdict((per_minute, per_day), [minute, None])
    return anonymous_verdict((per_minute, per_day), [minute, _count_window(per_day)])


def _count_window(counter: Window) -> int | None:
    return None if counter.limit <= 0 else _count(counter.key, 1, counter.ttl)
