"""Every 4xx of the API has its JSON error shape, never an HTML page."""

import pytest

pytestmark = pytest.mark.django_db


def _assert_error_shape(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    assert "<html" not in response.content.decode().lower()


def test_a_body_over_the_size_limit_is_refused_with_413_in_json(client, auth, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"card_numbers": [' + ",".join(['"123456789012"'] * 200) + "]}"
    response = client.post(
        "/api/v1/cards/check",
        body,
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
        **auth,
    )
    _assert_error_shape(response, 413, "too_large")
    assert response.json()["detail"] == "The request body is too large."


def test_the_size_limit_answer_is_in_norwegian_by_default(client, auth, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    response = client.post(
        "/api/v1/webhooks/subscriptions",
        '{"card_numbers": []}',
        content_type="application/json",
        **auth,
    )
    _assert_error_shape(response, 413, "too_large")
    assert response.json()["detail"] == "Forespørselen er for stor."


def test_an_unknown_api_address_answers_404_in_json(client):
    response = client.get("/api/v1/no-such-thing", HTTP_ACCEPT_LANGUAGE="en")
    _assert_error_shape(response, 404, "not_found")
    assert response.json()["detail"] == "There is nothing at this address."


def test_a_wrong_method_answers_405_in_json_with_the_allowed_methods(client):
    response = client.delete("/api/v1/ping")
    _assert_error_shape(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_malformed_json_answers_in_the_error_shape(client, auth):
    response = client.post(
        "/api/v1/cards/check", "{not json", content_type="application/json", **auth
    )
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/json")
    assert "code" in response.json()


def test_pages_outside_the_api_keep_their_html_404(client):
    response = client.get("/en/no-such-page/")
    assert response.status_code == 404
    assert "application/json" not in response["Content-Type"]
