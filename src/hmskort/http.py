"""HTTP for reading the registers: explicit timeouts, retries with exponential backoff, clear failures.

Shared by every app that reads an outside register (the register adapters in `registries`, the
authorised roles source in `companies`). A register that times out or answers 429/5xx is retried
a few times (HMSKORT_REGISTRY_RETRIES, pauses from HMSKORT_REGISTRY_BACKOFF seconds, doubling); if
it still fails the caller gets RegisterUnavailable and changes nothing.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings

log = logging.getLogger(__name__)

RETRY_STATUSES = {429, 500, 502, 503, 504}
USER_AGENT = "hmskort registry sync"


class RegisterError(Exception):
    """A source could not be read; nothing may change because of it."""


class RegisterUnavailable(RegisterError):
    """Timeouts, connection errors or error statuses, after retries."""


class MalformedData(RegisterError):
    """The source answered, but not in the shape it documents."""


def make_client(
    *,
    headers: dict[str, str] | None = None,
    timeout: float | None = None,
    read_timeout: float | None = None,
) -> httpx.Client:
    """A client with the registers' timeouts (HMSKORT_REGISTRY_TIMEOUT unless given)."""
    if timeout is None:
        timeout = float(getattr(settings, "HMSKORT_REGISTRY_TIMEOUT", 15.0))
    return httpx.Client(
        timeout=httpx.Timeout(
            timeout,
            connect=min(timeout, 5.0),
            read=timeout if read_timeout is None else read_timeout,
        ),
        headers={"Accept": "application/json", "User-Agent": USER_AGENT, **(headers or {})},
        follow_redirects=True,
    )


def _attempts() -> tuple[int, float]:
    attempts = max(1, int(getattr(settings, "HMSKORT_REGISTRY_RETRIES", 3)))
    backoff = float(getattr(settings, "HMSKORT_REGISTRY_BACKOFF", 0.5))
    return attempts, backoff


def request(
    client: httpx.Client,
    url: str,
    *,
    params: dict[str, Any] | None = None,
    accept_statuses: tuple[int, ...] = (),
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """GET with retries. Returns 2xx responses and those in `accept_statuses` (e.g. 404, 410).

    `headers` add to (or replace) the client's, e.g. a versioned media type in Accept.
    """
    attempts, backoff = _attempts()
    problem = ""
    for attempt in range(attempts):
        if attempt:
            time.sleep(backoff * (2 ** (attempt - 1)))
        try:
            response = client.get(url, params=params, headers=headers)
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


def download(
    client: httpx.Client,
    url: str,
    target: Path,
    *,
    headers: dict[str, str] | None = None,
    chunk_size: int = 1 << 20,
) -> None:
    """Stream `url` into `target` (never held in memory), with the retries of `request`.

    The bytes go to a `.part` file beside the target and replace it only when complete; a
    download that fails leaves no `.part` behind and raises RegisterUnavailable.
    """
    attempts, backoff = _attempts()
    partial = target.with_suffix(".part")
    problem = ""
    try:
        for attempt in range(attempts):
            if attempt:
                time.sleep(backoff * (2 ** (attempt - 1)))
            try:
                with client.stream("GET", url, headers=headers) as response:
                    if response.is_success:
                        with partial.open("wb") as fh:
                            for chunk in response.iter_raw(chunk_size):
                                fh.write(chunk)
                        partial.replace(target)
                        return
                    problem = f"{url} answered HTTP {response.status_code}"
                    retry = response.status_code in RETRY_STATUSES
            except httpx.TimeoutException:
                problem, retry = f"timed out reading {url}", True
            except httpx.TransportError as exc:
                problem, retry = f"could not reach {url}: {exc.__class__.__name__}", True
            log.warning(
                "register download failed (attempt %s of %s): %s", attempt + 1, attempts, problem
            )
            if not retry:
                break
    finally:
        partial.unlink(missing_ok=True)
    raise RegisterUnavailable(problem)


def get_json(
    client: httpx.Client,
    url: str,
    *,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    response = request(client, url, params=params, headers=headers)
    return parse_json(response, url)


def parse_json(response: httpx.Response, url: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise MalformedData(f"{url} answered with malformed JSON") from None
