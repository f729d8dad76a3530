"""HTTP for the registers: explicit timeouts, retries with exponential backoff, clear failures.

A register that times out or answers 5xx is retried a few times; if it still fails the caller gets
RegisterUnavailable and the run changes nothing.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx
from django.conf import settings

log = logging.getLogger(__name__)

RETRY_STATUSES = {429, 500, 502, 503, 504}


class RegisterError(Exception):
    """A source could not be read; nothing may change because of it."""


class RegisterUnavailable(RegisterError):
    """Timeouts, connection errors or error statuses, after retries."""


class MalformedData(RegisterError):
    """The source answered, but not in the shape it documents."""


def make_client() -> httpx.Client:
    timeout = float(getattr(settings, "HMSKORT_REGISTRY_TIMEOUT", 15.0))
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        headers={"Accept": "application/json", "User-Agent": "hmskort registry sync"},
        follow_redirects=True,
    )


def request(
    client: httpx.Client,
    url: str,
    *,
    params: dict[str, Any] | None = None,
    accept_statuses: tuple[int, ...] = (),
) -> httpx.Response:
    """GET with retries. Returns 2xx responses and those in `accept_statuses` (e.g. 404, 410)."""
    attempts = max(1, int(getattr(settings, "HMSKORT_REGISTRY_RETRIES", 3)))
    backoff = float(getattr(settings, "HMSKORT_REGISTRY_BACKOFF", 0.5))
    problem = ""
    for attempt in range(attempts):
        if attempt:
            time.sleep(backoff * (2 ** (attempt - 1)))
        try:
            response = client.get(url, params=params)
        except httpx.TimeoutException:
            problem = f"timed out reading {url}"
        except httpx.TransportError as exc:
            problem = f"could not reach {url}: {exc.__class__.__name__}"
        else:
            if response.is_success or response.status_code in accept_statuses:
                return response
            problem = f"{url} answered HTTP {response.status_code}"
            if response.status_code not in RETRY_STATUSES:
                break
        log.warning(
            "register request failed (attempt %s of %s): %s", attempt + 1, attempts, problem
        )
    raise RegisterUnavailable(problem)


def get_json(client: httpx.Client, url: str, *, params: dict[str, Any] | None = None) -> Any:
    response = request(client, url, params=params)
    return parse_json(response, url)


def parse_json(response: httpx.Response, url: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise MalformedData(f"{url} answered with malformed JSON") from None
