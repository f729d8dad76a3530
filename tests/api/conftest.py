import pytest

from hmskort.audit.services import Actor
from hmskort.integrations import services


@pytest.fixture
def make_key(db):
    def make(**kwargs):
        kwargs.setdefault("name", "Crew list AS")
        return services.create_api_key(actor=Actor.system("test"), **kwargs)

    return make


@pytest.fixture
def api_key(make_key):
    """(ApiKey, plaintext)"""
    return make_key()


@pytest.fixture
def auth(api_key):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_key[1]}"}
