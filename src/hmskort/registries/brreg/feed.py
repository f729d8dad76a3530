"""The change feeds `/oppdateringer/enheter` and `/oppdateringer/underenheter`.

Followed from the last `oppdateringsid` (kept in FeedCursor); each changed unit we keep facts on
is fetched from the per-unit API and staged like any other run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from django.utils import timezone

from hmskort.companies.models import Company
from hmskort.http import MalformedData, RegisterError, get_json, make_client

from ..models import BrregUnit, FeedCursor, RegistryRun
from ..services import fail_run, start_run
from .api import base_url, fetch_unit, with_main_units
from .mapping import removed_row
from .staging import stage_and_conclude

FEEDS = {
    # feed name: (path, embedded list key, unit path, is sub-unit)
    "enheter": ("/oppdateringer/enheter", "oppdaterteEnheter", "/enheter", False),
    "underenheter": (
        "/oppdateringer/underenheter",
        "oppdaterteUnderenheter",
        "/underenheter",
        True,
    ),
}
PAGE_SIZE = 1000
MAX_PAGES_PER_RUN = 50


def _tracked(orgnrs: list[str]) -> set[str]:
    """Units we keep facts about: every stored unit, and every company of the card register."""
    found: set[str] = set()
    for i in range(0, len(orgnrs), 2000):
        chunk = orgnrs[i : i + 2000]
        found.update(BrregUnit.objects.filter(orgnr__in=chunk).values_list("orgnr", flat=True))
        found.update(Company.objects.filter(orgnr__in=chunk).values_list("orgnr", flat=True))
    return found


def read_feed_page(
    client: httpx.Client, feed: str, cursor: FeedCursor
) -> tuple[list[dict[str, Any]], bool]:
    """One page of a change feed from the cursor. Returns (items, more pages waiting)."""
    path, key, _, _ = FEEDS[feed]
    params: dict[str, Any] = {"size": PAGE_SIZE, "page": 0}
    if cursor.last_update_id is not None:
        params["oppdateringsid"] = cursor.last_update_id + 1
    else:
        since = cursor.since or timezone.now()
        params["dato"] = since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    url = base_url() + path
    data = get_json(client, url, params=params)
    if not isinstance(data, dict):
        raise MalformedData(f"{url} answered with something other than a JSON object")
    items = (data.get("_embedded") or {}).get(key, [])
    if not isinstance(items, list):
        raise MalformedData(f"{url}: _embedded.{key} is not a list")
    parsed = []
    for item in items:
        try:
            change = {
                "id": int(item["oppdateringsid"]),
                "orgnr": str(item["organisasjonsnummer"]),
                "kind": str(item.get("endringstype") or "Endring"),
                "dato": item.get("dato"),
            }
        except (KeyError, TypeError, ValueError):
            raise MalformedData(
                f"{url}: a change has no oppdateringsid/organisasjonsnummer"
            ) from None
        if len(change["orgnr"]) != 9 or not change["orgnr"].isdigit():
            raise MalformedData(f"{url}: a change has a malformed organisasjonsnummer")
        parsed.append(change)
    page = data.get("page") or {}
    total = page.get("totalElements")
    more = bool(parsed) and isinstance(total, int) and total > len(parsed)
    return parsed, more


def sync_feed(feed: str, *, client: httpx.Client | None = None) -> RegistryRun:
    """Follow one change feed from where it stopped; fetch the changed units we keep facts on."""
    path, _, _, sub_unit = FEEDS[feed]
    run = start_run(RegistryRun.Source.BRREG_FEED, base_url() + path)
    cursor, _ = FeedCursor.objects.get_or_create(feed=f"brreg:{feed}")
    own_client = client is None
    client = client or make_client()
    read_at = timezone.now()  # before the first request: no change published later is missed
    # A fresh deployment (no bulk import, no position yet) starts the feed at its first run and
    # keeps that time until an oppdateringsid is known; asking from "now" on every run instead
    # would lose every change published between two runs.
    since = cursor.since or (read_at if cursor.last_update_id is None else None)
    try:
        changes: dict[str, dict[str, Any]] = {}
        last_id = cursor.last_update_id
        pages = 0
        probe = FeedCursor(feed=cursor.feed, last_update_id=last_id, since=since)
        while pages < MAX_PAGES_PER_RUN:
            items, more = read_feed_page(client, feed, probe)
            pages += 1
            if not items:
                break
            for item in sorted(items, key=lambda i: i["id"]):
                changes[item["orgnr"]] = item  # the latest change of a unit wins
                last_id = max(last_id or 0, item["id"])
            probe.last_update_id = last_id
            if not more:
                break
        tracked = _tracked(sorted(changes))
        rows = []
        for orgnr in sorted(tracked):
            change = changes[orgnr]
            if change["kind"] == "Fjernet":
                rows.append(
                    removed_row(
                        orgnr, sub_unit=sub_unit, read_at=read_at, read_from=base_url() + path
                    )
                )
            else:
                rows.append(fetch_unit(client, orgnr, sub_unit=sub_unit, read_at=read_at))
        rows = with_main_units(client, rows, read_at=read_at)
    except RegisterError as exc:
        return fail_run(run, str(exc))
    except BaseException as exc:
        fail_run(run, f"the run stopped on an unexpected error: {exc.__class__.__name__}")
        raise
    finally:
        if own_client:
            client.close()

    def move_cursor() -> None:
        if cursor.since != since or (last_id is not None and last_id != cursor.last_update_id):
            cursor.since = since
            cursor.last_update_id = last_id
            cursor.save()

    run = stage_and_conclude(run, rows, before_apply=move_cursor)
    if run.status == RegistryRun.Status.HELD:
        # The held changes wait for staff; the feed itself moves on so later changes still come.
        move_cursor()
    run.message = "; ".join(
        m for m in (run.message, f"{len(changes)} changes, {len(rows)} units read") if m
    )[:5000]
    run.save(update_fields=["message"])
    return run


def sync_feeds() -> list[RegistryRun]:
    return [sync_feed(feed) for feed in FEEDS]
