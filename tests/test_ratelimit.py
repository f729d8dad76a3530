"""Rate-limit counters: atomic, windowed, and shared by every process when Redis is configured."""

import os

import pytest
from django.conf import settings
from django.core.cache.backends.redis import RedisCache

from hmskort import ratelimit


def test_the_limit_allows_up_to_the_limit_then_refuses_with_a_retry_time():
    results = [ratelimit.hit("t", "a", limit=3, window=60) for _ in range(4)]
    assert [r.allowed for r in results] == [True, True, True, False]
    assert results[2].remaining == 0
    assert 1 <= results[3].retry_after <= 60


def test_a_cost_counts_several_hits_at_once():
    assert ratelimit.hit("t", "b", limit=10, window=60, cost=8).allowed
    assert not ratelimit.hit("t", "b", limit=10, window=60, cost=3).allowed


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_counters_are_shared_across_processes_through_redis(monkeypatch):
    from django.core import cache as cache_module

    ratelimit.hit("t", "shared", limit=2, window=60)
    # Another process: its own backend object on the same Redis.
    other = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": "hmskort"})
    monkeypatch.setattr(cache_module.caches._connections, "default", other)
    assert cache_module.caches["default"] is other
    assert ratelimit.hit("t", "shared", limit=2, window=60).allowed
    assert not ratelimit.hit("t", "shared", limit=2, window=60).allowed
