import pytest
from django.db import OperationalError, connections
from huey import RedisHuey

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


@pytest.mark.django_db(databases="__all__")
def test_readyz_answers_ok_when_every_part_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "queue": "ok",
        "storage": "ok",
    }


@pytest.mark.django_db(databases="__all__")
def test_readyz_names_the_database_when_it_does_not_answer(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["default"], "cursor", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    assert response.json()["database"] == "unavailable"


@pytest.mark.django_db(databases="__all__")
def test_readyz_names_the_cache_when_redis_does_not_answer(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CLOSED_PORT_REDIS,
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]


@pytest.mark.django_db(databases="__all__")
def test_readyz_names_the_queue_when_its_redis_does_not_answer(client, monkeypatch):
    import huey.contrib.djhuey

    monkeypatch.setattr(huey.contrib.djhuey, "HUEY", RedisHuey("readyz", url=CLOSED_PORT_REDIS))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["queue"]


@pytest.mark.django_db(databases="__all__")
def test_readyz_names_the_storage_when_files_cannot_be_written(client, settings, tmp_path):
    not_a_directory = tmp_path / "a-file"
    not_a_directory.write_text("")
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": not_a_directory / "private"},
        },
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["storage"]


def test_healthz_and_readyz_are_exempt_from_the_https_redirect(settings):
    import re

    assert any(re.search(p, "readyz") for p in settings.SECURE_REDIRECT_EXEMPT)
    assert any(re.search(p, "healthz") for p in settings.SECURE_REDIRECT_EXEMPT)
