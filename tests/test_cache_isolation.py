"""Test runs sharing one Redis database (xdist workers, `pytest -n 2`) keep out of each other's
cache: a test empties only its own run's keys (tests/conftest.py)."""

import os

import pytest
from django.core.cache import caches

from tests.conftest import _clear_cache

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")


def test_emptying_the_cache_between_tests_leaves_another_runs_keys_alone():
    cache = caches["default"]
    client = cache._cache.get_client(write=True)
    other = f"{cache.key_prefix}-elsewhere:1:rl:quota:1"
    client.set(other, 3, ex=60)
    cache.set("rl:quota:1", 2)
    try:
        _clear_cache()
        assert cache.get("rl:quota:1") is None
        assert client.get(other) == b"3"
    finally:
        client.delete(other)


def test_an_xdist_worker_keeps_its_keys_under_a_prefix_of_its_own():
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        pytest.skip("not run by an xdist worker (pytest -n N)")
    assert caches["default"].key_prefix.endswith(f"-{worker}")
