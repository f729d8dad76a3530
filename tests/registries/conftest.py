import pytest

from .payloads import API


@pytest.fixture(autouse=True)
def _register_settings(settings):
    settings.HMSKORT_REGISTRY_BACKOFF = 0
    settings.HMSKORT_REGISTRY_RETRIES = 2
    settings.HMSKORT_REGISTRY_TIMEOUT = 5
    settings.HMSKORT_REGISTRY_MASS_CHANGE_MIN = 20


@pytest.fixture
def brreg_api(httpserver, settings):
    settings.HMSKORT_BRREG_URL = httpserver.url_for(API)
    return httpserver
