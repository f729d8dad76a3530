"""Prometheus metrics at /metrics: the format, the families, and closed to the public."""

import datetime as dt

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from hmskort.registries.models import RegistryRun
from tests.factories import CardFactory

pytestmark = pytest.mark.django_db
TOKEN = "metrics-token-for-tests"


@pytest.fixture
def metrics_settings(settings):
    settings.HMSKORT_METRICS_TOKEN = TOKEN
    settings.HMSKORT_METRICS_ALLOWED_NETWORKS = []
    return settings


def _scrape(client) -> dict:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def test_metrics_are_not_public(client, metrics_settings):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404


def test_metrics_answer_a_direct_request_from_an_allowed_network_but_not_through_a_proxy(
    client, metrics_settings
):
    metrics_settings.HMSKORT_METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.10").status_code == 404
    proxied = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.10")
    assert proxied.status_code == 404


def test_metrics_count_requests_by_route_and_time_the_check(client, metrics_settings):
    card = CardFactory(valid=False, reasons=["vat_register"])
    assert client.get(f"/api/v1/cards/{card.number}").status_code == 200
    assert client.get("/api/v1/cards/100000000000").status_code in {404, 422}
    families = _scrape(client)

    requests = {
        (s.labels["route"], s.labels["method"], s.labels["status"]): s.value
        for s in families["hmskort_http_requests"].samples
        if s.name == "hmskort_http_requests_total"
    }
    assert requests[("api:get_card", "GET", "200")] >= 1
    counts = {
        s.labels["le"]: s.value
        for s in families["hmskort_check_duration_seconds"].samples
        if s.name.endswith("_bucket") and s.labels["kind"] == "api"
    }
    assert counts["+Inf"] >= 2
    assert families["hmskort_check_duration_seconds"].type == "histogram"


def test_metrics_show_register_age_queue_depth_and_cards_by_validity(client, metrics_settings):
    CardFactory(valid=True)
    CardFactory(valid=False, reasons=["vat_register"])
    CardFactory(valid=False, reasons=["vat_register"])
    finished = timezone.now() - dt.timedelta(minutes=10)
    RegistryRun.objects.create(
        source=RegistryRun.Source.RENHOLD,
        status=RegistryRun.Status.OK,
        started_at=finished - dt.timedelta(minutes=1),
        finished_at=finished,
    )
    families = _scrape(client)

    ages = {
        s.labels["source"]: s.value for s in families["hmskort_register_sync_age_seconds"].samples
    }
    assert 600 <= ages["renhold"] < 3600
    assert [s.value for s in families["hmskort_job_queue_depth"].samples] == [0]
    cards = {
        (s.labels["state"], s.labels["valid"]): s.value for s in families["hmskort_cards"].samples
    }
    assert cards[("issued", "true")] == 1
    assert cards[("issued", "false")] == 2


def test_metrics_carry_no_card_numbers_or_national_ids(client, metrics_settings):
    card = CardFactory()
    client.get(f"/api/v1/cards/{card.number}")
    client.get(f"/en/check/{card.qr_token}/")
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert card.number not in text
    assert card.qr_token not in text
    assert card.holder.national_id not in text


def test_a_made_up_http_method_is_counted_as_other_not_as_a_new_series(client, metrics_settings):
    for method in ("FROBNICATE", "X-12345"):
        client.generic(method, "/api/v1/ping")
    families = _scrape(client)

    methods = {
        s.labels["method"]
        for s in families["hmskort_http_requests"].samples
        if s.name == "hmskort_http_requests_total"
    }
    assert "OTHER" in methods
    assert not {"FROBNICATE", "X-12345"} & methods
