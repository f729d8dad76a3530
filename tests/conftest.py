import datetime as dt
import importlib
import os

import pytest
import time_machine
from hypothesis import settings as hypothesis_settings

from tests import offline

# No timed assertions: Hypothesis's per-example deadline (200 ms) fails property tests at random
# on a loaded machine (seen on a 2-core machine at load 15: 348 ms for one example, 0.06 ms when
# replayed), so it is off for every test.
hypothesis_settings.register_profile("hmskort", deadline=None)
hypothesis_settings.load_profile("hmskort")

# Run the whole suite as if the clock said this (ISO 8601, e.g. 2028-02-29T12:00:00+01:00 or
# 2027-12-31T23:59:59+01:00): every test starts at that instant and the clock runs on from there,
# so a test that straddles midnight, a month's end, a year's end or a leap day shows it.
# Tests that freeze the clock themselves still do. See README, "Development".
TEST_CLOCK = os.environ.get("HMSKORT_TEST_CLOCK", "")


def pytest_configure(config):
    offline.install()


@pytest.fixture(autouse=True)
def _never_leave_the_machine():
    """A test that tried to reach a host other than this machine fails (tests/offline.py)."""
    offline.take_attempts()
    yield
    if attempts := offline.take_attempts():
        pytest.fail(
            "This test tried to leave the machine; tests talk only to local stand-ins "
            "(e.g. pytest-httpserver's `httpserver`, the `brreg_api` fixture):\n  "
            + "\n  ".join(attempts),
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _clock_from_the_environment():
    if not TEST_CLOCK:
        yield
        return
    with time_machine.travel(dt.datetime.fromisoformat(TEST_CLOCK), tick=True):
        yield


def _clear_cache() -> None:
    """Empty the cache, but with Redis only this run's (this worker's) keys: `cache.clear()` would
    empty the whole Redis database, under another worker's running test."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        cache.clear()
        return
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and cached reads never leak from one test into the next."""
    from hmskort.cards import checkcache

    checkcache._pending.clear()
    _clear_cache()
    yield
    checkcache._pending.clear()
    _clear_cache()


# Reference rows that data migrations seed (card types, prices, news). A transactional test
# empties every table when it ends, so the next transactional test would start without them.
_SEED_MIGRATIONS = [
    ("hmskort.cards.migrations.0003_seed_card_types", "cards", "CardType"),
    ("hmskort.orders.migrations.0002_seed_prices", "orders", "Price"),
    ("hmskort.site.migrations.0002_seed_news", "site", "NewsItem"),
]


@pytest.fixture(autouse=True)
def _seeded_reference_rows(request):
    """Give transactional tests the same seeded reference rows every other test has."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (
        "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
        or bool(marker and marker.kwargs.get("transaction"))
    )
    if not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    for module_name, app_label, model_name in _SEED_MIGRATIONS:
        if not apps.get_model(app_label, model_name).objects.exists():
            importlib.import_module(module_name).seed(apps, None)
    yield


@pytest.fixture(scope="module")
def provider():
    """ID-porten's stand-in: a real OpenID Connect provider on 127.0.0.1 (tests/oidc_server.py),
    one per test module."""
    from tests.oidc_server import running_provider

    with running_provider() as provider:
        yield provider


@pytest.fixture
def oidc(provider):
    """The site logs in through that provider (DEBUG off, so no test login)."""
    from django.test import override_settings

    with override_settings(
        **provider.settings(), HMSKORT_BASE_URL="http://testserver", DEBUG=False
    ):
        yield provider


@pytest.fixture
def make_staff(db):
    """A staff user with a role and a confirmed TOTP device: make_staff(role, username=...)."""
    from hmskort.accounts.staff import create_staff_user
    from hmskort.audit.services import Actor

    def _make(role: str, username: str | None = None, password: str = "a-long-password-1"):
        return create_staff_user(
            username=username or f"{role}-user",
            role=role,
            password=password,
            actor=Actor.system("test"),
        ).user

    return _make


def verify_staff_session(client, user):
    """Log a staff user in as a finished login leaves the session: password and TOTP code."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


@pytest.fixture
def staff_client(client, make_staff):
    """The test client logged in as a verified staff user with the given role."""

    def _as(role: str, username: str | None = None):
        return verify_staff_session(client, make_staff(role, username))

    return _as


@pytest.fixture
def admin_client(staff_client):
    """Django's admin is behind the staff login: an administrator verified with a TOTP code."""
    return staff_client("administrator", "admin")


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    """Photos and photo ID images go to a fresh directory per test, never into var/."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }
    return tmp_path / "private"


@pytest.fixture(autouse=True)
def _private_var_dir(settings, tmp_path):
    """What code writes under VAR_DIR (the demo's batch PDF, register downloads) goes to a fresh
    directory per test: var/ is shared by every test run in the checkout, and two runs at once
    wrote the same var/demo-batch.pdf."""
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    return settings.VAR_DIR


@pytest.fixture
def job_queue(monkeypatch):
    """The job queue as in production, in memory: a task called is queued, not run, until the
    test calls `job_queue.run()`, which runs what is queued (and what those jobs queue) in the
    test's database transaction. `job_queue.names()`: the names of the queued jobs."""
    from huey.contrib import djhuey
    from huey.storage import MemoryStorage

    class Memory(MemoryStorage):
        def ack(self, data: bytes) -> None:
            """A job has run: the Redis queue's in-flight list forgets it (hmskort.jobs)."""

    huey = djhuey.HUEY
    # Not through the `immediate` setter: it would open the configured storage (var/, Redis).
    monkeypatch.setattr(huey, "_immediate", False)
    monkeypatch.setattr(huey, "storage", Memory(huey.name))
    # A worker closes the database connections around a job; here they are the test's.
    monkeypatch.setattr(djhuey, "close_old_connections", lambda: None)

    class Queue:
        @staticmethod
        def names() -> list[str]:
            return [type(task).__name__ for task in huey.pending()]

        @staticmethod
        def run() -> int:
            ran = 0
            while (task := huey.dequeue()) is not None:
                huey.execute(task)
                ran += 1
            return ran

    return Queue


@pytest.fixture(autouse=True)
def _no_register_backoff(settings):
    """Retried register reads (hmskort.http) do not pause in tests."""
    settings.HMSKORT_REGISTRY_BACKOFF = 0
