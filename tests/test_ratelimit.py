"""Rate-limit counters: atomic, windowed, and shared by every process when Redis is configured."""

import datetime as dt
import os
import subprocess
import sys

import pytest
import time_machine

from hmskort import ratelimit

# Windows are fixed slices of the clock (a minute starts at :00): a frozen clock keeps a test in
# one window, and says exactly how long until the next.
FROZEN = dt.datetime(2026, 6, 15, 10, 20, 45, tzinfo=dt.UTC)


@time_machine.travel(FROZEN, tick=False)
def test_the_limit_allows_up_to_the_limit_then_refuses_with_a_retry_time():
    results = [ratelimit.hit("t", "a", limit=3, window=60) for _ in range(4)]
    assert [r.allowed for r in results] == [True, True, True, False]
    assert [r.remaining for r in results] == [2, 1, 0, 0]
    assert {r.retry_after for r in results} == {15}
    assert {r.limit for r in results} == {3}


@time_machine.travel(FROZEN, tick=False)
def test_a_cost_counts_several_hits_at_once():
    assert ratelimit.hit("t", "b", limit=10, window=60, cost=8).allowed
    assert not ratelimit.hit("t", "b", limit=10, window=60, cost=3).allowed


def test_a_new_window_starts_a_new_count():
    with time_machine.travel(FROZEN, tick=False):
        assert ratelimit.hit("t", "c", limit=1, window=60).allowed
        assert not ratelimit.hit("t", "c", limit=1, window=60).allowed
    with time_machine.travel(FROZEN + dt.timedelta(seconds=15), tick=False):
        assert ratelimit.hit("t", "c", limit=1, window=60).allowed


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_counters_are_shared_across_processes_through_redis():
    # A window of about 31 years: the two processes' real clocks share it.
    window = 10**9
    assert ratelimit.hit("t", "shared", limit=2, window=window).allowed
    code = (
        "import django; django.setup()\n"
        "from hmskort import ratelimit\n"
        f"r = ratelimit.hit('t', 'shared', limit=2, window={window})\n"
        "print(r.allowed, r.remaining)\n"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        env={
            "SECRET_KEY": "test-only-secret-key-for-a-second-process",
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "hmskort.settings",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert other.stdout.split() == ["True", "0"]
    assert not ratelimit.hit("t", "shared", limit=2, window=window).allowed


def _request(remote, forwarded=None):
    from django.test import RequestFactory

    extra = {"REMOTE_ADDR": remote}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/sjekk/", **extra)


@pytest.mark.parametrize(
    ("remote", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("not-an-address", "not-an-address"),
    ],
)
def test_anonymous_clients_are_counted_by_ipv4_address_or_ipv6_64(remote, key):
    assert ratelimit.client_key(_request(remote)) == key


@time_machine.travel(FROZEN, tick=False)
def test_every_address_of_one_ipv6_64_shares_the_anonymous_limit(settings):
    settings.HMSKORT_CHECK_RATE_PER_MINUTE = 3
    results = [
        ratelimit.hit_anonymous(_request(f"2001:db8:1:2::{i:x}")).allowed for i in range(1, 6)
    ]
    assert results == [True, True, True, False, False]
    # The neighbouring /64 is another client.
    assert ratelimit.hit_anonymous(_request("2001:db8:1:3::1")).allowed


def test_an_anonymous_client_has_a_daily_cap_beside_the_minute_limit(settings):
    settings.HMSKORT_CHECK_RATE_PER_MINUTE = 3
    settings.HMSKORT_CHECK_RATE_PER_DAY = 5
    client = _request("198.51.100.9")
    day = dt.datetime(2026, 6, 15, 8, 0, tzinfo=dt.UTC)
    allowed = []
    for minute in range(4):
        with time_machine.travel(day + dt.timedelta(minutes=minute), tick=False):
            allowed += [ratelimit.hit_anonymous(client).allowed for _ in range(2)]
    assert allowed == [True, True, True, True, True, False, False, False]
    with time_machine.travel(day + dt.timedelta(minutes=5), tick=False):
        refused = ratelimit.hit_anonymous(client)
    assert not refused.allowed
    # Until midnight UTC: 15 h 55 min.
    assert refused.retry_after == 15 * 3600 + 55 * 60
    with time_machine.travel(day + dt.timedelta(days=1), tick=False):
        assert ratelimit.hit_anonymous(client).allowed
