"""Prometheus metrics at /metrics, closed to the public.

- `hmskort_http_requests_total{route, method, status}` — every request, by URL name (never the
  raw path: a path can hold a card number or a QR token); a method other than the standard
  ones counts as `OTHER`.
- `hmskort_check_duration_seconds{kind}` — how long the card check takes (page, qr, api, batch).
- `hmskort_register_sync_age_seconds{source}` — since the last applied read of each register.
- `hmskort_register_stale{source}` — 1 when that source is stale (see registries.selectors).
- `hmskort_job_queue_depth` and `hmskort_jobs_in_flight` — waiting and running jobs.
- `hmskort_cards{state, valid}` — cards by state and validity.

Under gunicorn the counters of all worker processes are added up through files in
PROMETHEUS_MULTIPROC_DIR (set by hmskort.gunicorn_conf); elsewhere they live in the process.
Access: `Authorization: Bearer <HMSKORT_METRICS_TOKEN>`, or a direct request (no
X-Forwarded-For) from an address in HMSKORT_METRICS_ALLOWED_NETWORKS. Anyone else gets 404.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder

request_log = logging.getLogger("hmskort.request")

REQUESTS = Counter(
    "hmskort_http_requests",
    "HTTP requests by route, method and status",
    ["route", "method", "status"],
)
CHECK_DURATION = Histogram(
    "hmskort_check_duration_seconds",
    "Time to answer a card check",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
CHECK_KINDS = {
    "checks:check": "page",
    "checks:qr": "qr",
    "api:get_card": "api",
    "api:check_cards": "batch",
}


class MetricsMiddleware:
    """Counts every request by its URL name and times the card check."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.view_name if match is not None else "unmatched"
        method = request.method or ""
        record_request(route, method, response.status_code, time.perf_counter() - start)
        return response


# The methods counted by name; any other (a client may send any token) counts as OTHER, so a
# client cannot make a new time series per request.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@functools.lru_cache(maxsize=4096)
def _request_counter(route: str, method: str, status: int) -> Counter:
    """The counter of one (route, method, status): looked up once, not on every request."""
    return REQUESTS.labels(route=route, method=method, status=str(status))


@functools.lru_cache(maxsize=16)
def _check_timer(kind: str) -> Histogram:
    return CHECK_DURATION.labels(kind=kind)


def record_request(route: str, method: str, status: int, elapsed: float) -> None:
    """Count, time (card checks) and log one answered request. Also called by the lean entry
    point of the card check (hmskort.api.lean), which answers before Django's middleware."""
    if method not in _METHODS:
        method = "OTHER"
    _request_counter(route, method, status).inc()
    kind = CHECK_KINDS.get(route)
    if kind is not None:
        _check_timer(kind).observe(elapsed)
    request_log.info(
        "request",
        extra={
            "route": route,
            "method": method,
            "status": status,
            "duration_ms": round(elapsed * 1000, 1),
        },
    )


class StateCollector:
    """Read at each scrape: register freshness, the job queue, cards by validity."""

    def collect(self):
        from hmskort.cards.selectors import cards_by_state_and_validity
        from hmskort.registries import selectors as registries

        now = timezone.now()
        age = GaugeMetricFamily(
            "hmskort_register_sync_age_seconds",
            "Seconds since the last applied read of each register",
            labels=["source"],
        )
        stale = GaugeMetricFamily(
            "hmskort_register_stale", "1 when a register's facts are stale", labels=["source"]
        )
        for state in registries.source_states(now):
            if state.last_applied is not None:
                read_at = state.last_applied.finished_at or state.last_applied.started_at
                age.add_metric([state.source], (now - read_at).total_seconds())
            stale.add_metric([state.source], 1 if state.stale else 0)
        yield age
        yield stale

        from huey.contrib.djhuey import HUEY

        depth = GaugeMetricFamily("hmskort_job_queue_depth", "Jobs waiting in the queue")
        depth.add_metric([], HUEY.pending_count())
        yield depth
        inflight_size = getattr(HUEY.storage, "inflight_size", None)
        if inflight_size is not None:
            running = GaugeMetricFamily("hmskort_jobs_in_flight", "Jobs taken by a worker")
            running.add_metric([], inflight_size())
            yield running

        cards = GaugeMetricFamily(
            "hmskort_cards", "Cards by state and validity", labels=["state", "valid"]
        )
        for (card_state, valid), n in cards_by_state_and_validity().items():
            cards.add_metric([card_state, "true" if valid else "false"], n)
        yield cards


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        for collector in (REQUESTS, CHECK_DURATION):
            registry.register(collector)
    registry.register(StateCollector())
    return registry


def _allowed(request: HttpRequest) -> bool:
    token = settings.HMSKORT_METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
        return True
    if "X-Forwarded-For" in request.headers:
        return False  # came through a proxy: REMOTE_ADDR is the proxy's, not the client's
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(net, strict=False)
        for net in settings.HMSKORT_METRICS_ALLOWED_NETWORKS
    )


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponseNotFound()
    # The classic text format unless the scraper asks for OpenMetrics.
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encoder(_registry()), content_type=content_type)
