import pytest


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and cached reads never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
