"""The served application answers the anonymous card check through a lean entry point: the
same answers as Django's full stack, and everything else still goes through Django."""

import json
from io import BytesIO

import pytest
from django.core import signals
from django.db import close_old_connections

from hmskort.api import lean
from hmskort.cards.numbers import format_card_number
from hmskort.wsgi import application
from tests.factories import CardFactory, employed_person, registered_company

pytestmark = pytest.mark.django_db

SECURITY_HEADERS = (
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "Content-Security-Policy",
    "Cache-Control",
    "Retry-After",
)


def served(path, method="GET", **extra):
    """Call the WSGI application as gunicorn does; returns (status code, headers, body)."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "192.0.2.10",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": BytesIO(b""),
        "wsgi.errors": BytesIO(),
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **extra,
    }
    captured = {}

    def start_response(status, headers, exc_info=None):
        captured["status"] = int(status.split()[0])
        captured["headers"] = dict(headers)

    # As Django's test client does: the test's transaction must outlive the request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    retire, lean._retire_obsolete_connection = lean._retire_obsolete_connection, lambda: None
    try:
        result = application(environ, start_response)
        body = b"".join(result)
        if hasattr(result, "close"):
            result.close()
    finally:
        lean._retire_obsolete_connection = retire
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return captured["status"], captured["headers"], body


@pytest.fixture
def card():
    company = registered_company()
    return CardFactory(company=company, holder=employed_person(company), valid=True, reasons=[])


@pytest.fixture
def through_django(monkeypatch):
    """Make the lean path step aside, so the same request goes through Django's full stack."""
    monkeypatch.setattr(lean.LeanCheck, "handles", lambda self, environ: None)


def answers(path, **extra):
    status, headers, body = served(path, **extra)
    data = json.loads(body)
    data.pop("checked_at", None)
    return status, data, headers


@pytest.mark.parametrize(
    ("number", "language"),
    [
        ("card", "nb"),
        ("card", "en"),
        ("123456789012", "nb"),  # unknown: 404
        ("123", "en"),  # too short: 422
        ("1234 5678 9012", "nb"),
    ],
)
def test_the_lean_check_answers_exactly_what_django_answers(
    card, monkeypatch, number, language, settings
):
    settings.HMSKORT_CHECK_RATE_PER_MINUTE = 1000
    path = "/api/v1/cards/" + (format_card_number(card.number) if number == "card" else number)
    short = answers(path, HTTP_ACCEPT_LANGUAGE=language)
    monkeypatch.setattr(lean.LeanCheck, "handles", lambda self, environ: None)
    full = answers(path, HTTP_ACCEPT_LANGUAGE=language)
    assert short[:2] == full[:2]
    for name in (*SECURITY_HEADERS, "Content-Type", "X-Frame-Options"):
        assert short[2].get(name) == full[2].get(name), name
    # The lean path names the language it answered in (Django's stack named the site default).
    assert short[2]["Content-Language"] == language
    assert "Accept-Language" in short[2]["Vary"]


@pytest.mark.parametrize(
    ("cookie", "accept_language", "expected"),
    [
        ("django_language=en", "", "en"),
        ("sessionid=abc; django_language=nb", "en", "nb"),  # the cookie wins, as on Django's path
        ("django_language=xx", "en", "en"),  # a language the site does not have: the header
        ("sessionid=abc", "", "nb"),
    ],
)
def test_the_language_cookie_and_header_choose_the_answers_language_as_djangos_path_does(
    card, monkeypatch, cookie, accept_language, expected
):
    path = f"/api/v1/cards/{card.number}"
    headers = {"HTTP_COOKIE": cookie, "HTTP_ACCEPT_LANGUAGE": accept_language}
    short = answers(path, **headers)
    monkeypatch.setattr(lean.LeanCheck, "handles", lambda self, environ: None)
    full = answers(path, **headers)
    assert short[2]["Content-Language"] == expected
    assert short[1]["card_type_name"] == full[1]["card_type_name"]


def test_a_found_card_is_answered_with_its_validity_and_no_reasons(card):
    status, data, headers = answers(f"/api/v1/cards/{card.number}")
    assert status == 200
    assert (data["card_number"], data["valid"], data["employer_orgnr"]) == (
        card.number,
        True,
        card.company.orgnr,
    )
    assert "reasons" not in data
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_the_lean_check_keeps_the_shared_rate_limit_with_retry_after(card, settings):
    settings.HMSKORT_CHECK_RATE_PER_MINUTE = 2
    assert served(f"/api/v1/cards/{card.number}")[0] == 200
    assert served(f"/api/v1/cards/{card.number}")[0] == 200
    status, headers, body = served(f"/api/v1/cards/{card.number}", HTTP_ACCEPT_LANGUAGE="en")
    assert status == 429
    assert int(headers["Retry-After"]) >= 1
    assert json.loads(body)["code"] == "rate_limited"
    assert "Too many requests" in json.loads(body)["detail"]
    # Another address still gets its answer.
    assert served(f"/api/v1/cards/{card.number}", REMOTE_ADDR="192.0.2.11")[0] == 200


def test_requests_with_an_api_key_go_through_django(card, api_key, through_django):
    status, _headers, body = served(
        f"/api/v1/cards/{card.number}", HTTP_AUTHORIZATION="Bearer not-a-key"
    )
    assert status == 401
    assert json.loads(body)["code"] == "invalid_key"


def test_an_unknown_host_is_refused_by_django_as_before(card):
    status, _headers, _body = served(f"/api/v1/cards/{card.number}", HTTP_HOST="evil.example")
    assert status == 400


def test_other_paths_still_go_through_django(card):
    status, _headers, body = served("/api/v1/ping")
    assert status == 200
    assert json.loads(body)["status"] == "ok"
    status, _headers, _body = served("/api/v1/cards/check", method="POST")
    assert status in (401, 403, 422)


def test_a_connection_kept_past_its_age_is_closed_before_the_next_check():
    from types import SimpleNamespace

    closed = []
    kept = SimpleNamespace(
        connection=object(),
        errors_occurred=False,
        in_atomic_block=False,
        get_autocommit=lambda: True,
        settings_dict={"AUTOCOMMIT": True},
        close_at=None,
        close=lambda: closed.append(True),
    )
    lean._retire_obsolete_connection(kept)
    assert closed == []
    kept.close_at = 0.0
    lean._retire_obsolete_connection(kept)
    assert closed == [True]


def test_the_lean_check_is_counted_timed_and_logged_without_the_number(card, caplog):
    from hmskort.metrics import REQUESTS

    counter = REQUESTS.labels(route="api:get_card", method="GET", status="200")
    before = counter._value.get()
    with caplog.at_level("INFO", logger="hmskort.request"):
        assert served(f"/api/v1/cards/{card.number}")[0] == 200
    assert counter._value.get() == before + 1
    records = [r for r in caplog.records if r.name == "hmskort.request"]
    assert [(r.route, r.status) for r in records] == [("api:get_card", 200)]
    assert card.number not in caplog.text
