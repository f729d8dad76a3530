import importlib

import pytest


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and cached reads never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


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
def _no_register_backoff(settings):
    """Retried register reads (hmskort.http) do not pause in tests."""
    settings.HMSKORT_REGISTRY_BACKOFF = 0
