"""Enhetsregisteret (Brønnøysundregistrene): units, sub-units, roles, change feeds, bulk file.

Facts go through StagedBrregUnit rows of a RegistryRun: staged, compared with the stored facts
in SQL (how many changed, how many stop meeting a duty, which companies need a recompute), then
applied with one INSERT … ON CONFLICT, or held for review. The bulk file is streamed (ijson,
yajl2_c backend) and staged with COPY on PostgreSQL, so memory stays flat at a million units.
"""

# SQL here is built from model table and column names only; values are always parameters.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import ijson
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date

from hmskort.companies.models import Company

from .http import MalformedData, RegisterError, get_json, make_client, parse_json, request
from .models import BrregUnit, FeedCursor, RegistryRun, StagedBrregUnit
from .services import Proposal, conclude, fail_run, start_run

log = logging.getLogger(__name__)

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

FACT_FIELDS = (
    "name",
    "organisation_form",
    "parent_orgnr",
    "is_sub_unit",
    "registered_in_vat",
    "bankrupt",
    "under_liquidation",
    "under_forced_dissolution",
    "deleted_on",
    "removed",
    "nace_code",
    "address",
)
# Fields the validity rules read (directly or through Company flags).
RULE_FIELDS = (
    "parent_orgnr",
    "registered_in_vat",
    "bankrupt",
    "under_liquidation",
    "under_forced_dissolution",
    "deleted_on",
    "removed",
    "nace_code",
)
COLUMNS = ("orgnr", *FACT_FIELDS, "read_at", "read_from")


def base_url() -> str:
    return settings.HMSKORT_BRREG_URL.rstrip("/")


# --- Mapping --------------------------------------------------------------------------------


def unit_row(data: Any, *, sub_unit: bool, read_at: dt.datetime, read_from: str) -> dict:
    """Map one unit as Enhetsregisteret spells it to the columns of BrregUnit."""
    if not isinstance(data, dict):
        raise MalformedData("a unit is not a JSON object")
    orgnr = str(data.get("organisasjonsnummer") or "")
    if len(orgnr) != 9 or not orgnr.isdigit():
        raise MalformedData(f"a unit has no valid organisasjonsnummer: {orgnr[:20]!r}")
    form = data.get("organisasjonsform") or {}
    nace = data.get("naeringskode1") or {}
    address = (
        data.get("forretningsadresse")
        or data.get("beliggenhetsadresse")
        or data.get("postadresse")
        or {}
    )
    deleted = data.get("slettedato")
    deleted_on = parse_date(deleted) if isinstance(deleted, str) and deleted else None
    if deleted and deleted_on is None:
        raise MalformedData(f"unit {orgnr} has a malformed slettedato")
    return {
        "orgnr": orgnr,
        "name": str(data.get("navn") or "")[:300],
        "organisation_form": str(form.get("kode") or "")[:8] if isinstance(form, dict) else "",
        "parent_orgnr": str(data.get("overordnetEnhet") or "")[:9],
        "is_sub_unit": sub_unit,
        "registered_in_vat": bool(data.get("registrertIMvaregisteret", False)),
        "bankrupt": bool(data.get("konkurs", False)),
        "under_liquidation": bool(data.get("underAvvikling", False)),
        "under_forced_dissolution": bool(
            data.get("underTvangsavviklingEllerTvangsopplosning", False)
        ),
        "deleted_on": deleted_on,
        "removed": False,
        "nace_code": str(nace.get("kode") or "")[:8] if isinstance(nace, dict) else "",
        "address": address if isinstance(address, dict) else {},
        "read_at": read_at,
        "read_from": read_from[:300],
    }


def removed_row(
    orgnr: str,
    *,
    sub_unit: bool,
    read_at: dt.datetime,
    read_from: str,
    deleted_on: dt.date | None = None,
) -> dict:
    """The unit is gone from the register (404/410, "Fjernet"): keep what we knew, mark it."""
    existing = BrregUnit.objects.filter(orgnr=orgnr).values(*FACT_FIELDS).first()
    row = existing or {
        "name": "",
        "organisation_form": "",
        "parent_orgnr": "",
        "is_sub_unit": sub_unit,
        "registered_in_vat": False,
        "bankrupt": False,
        "under_liquidation": False,
        "under_forced_dissolution": False,
        "deleted_on": None,
        "nace_code": "",
        "address": {},
    }
    row.update(orgnr=orgnr, removed=True, read_at=read_at, read_from=read_from[:300])
    if deleted_on and not row.get("deleted_on"):
        row["deleted_on"] = deleted_on
    return row


# --- HTTP: units, sub-units, roles -----------------------------------------------------------


def fetch_unit(
    client: httpx.Client, orgnr: str, *, sub_unit: bool = False, read_at: dt.datetime | None = None
) -> dict:
    """One unit's facts. 404/410 give a removed unit; errors raise RegisterError."""
    read_at = read_at or timezone.now()
    url = f"{base_url()}/{'underenheter' if sub_unit else 'enheter'}/{orgnr}"
    response = request(client, url, accept_statuses=(404, 410))
    if response.status_code in (404, 410):
        deleted_on = None
        if response.status_code == 410:
            try:
                body = response.json()
            except ValueError:
                body = {}
            if isinstance(body, dict) and isinstance(body.get("slettedato"), str):
                deleted_on = parse_date(body["slettedato"])
        return removed_row(
            orgnr, sub_unit=sub_unit, read_at=read_at, read_from=url, deleted_on=deleted_on
        )
    row = unit_row(parse_json(response, url), sub_unit=sub_unit, read_at=read_at, read_from=url)
    if row["orgnr"] != orgnr:
        raise MalformedData(f"{url} answered with unit {row['orgnr']}")
    return row


def fetch_roles(client: httpx.Client, orgnr: str) -> list[dict]:
    """The unit's roles, flattened: [{"code": "DAGL", "group": "DAGL", "birth_date": …, "name":…}].

    The open roles API gives birth dates, not national ID numbers: these can be shown and
    matched, but access is keyed on national ID numbers from an authorised source.
    """
    url = f"{base_url()}/enheter/{orgnr}/roller"
    response = request(client, url, accept_statuses=(404, 410))
    if response.status_code in (404, 410):
        return []
    data = parse_json(response, url)
    if not isinstance(data, dict) or not isinstance(data.get("rollegrupper", []), list):
        raise MalformedData(f"{url} answered without rollegrupper")
    roles = []
    for group in data.get("rollegrupper", []):
        group_code = ((group or {}).get("type") or {}).get("kode", "")
        for role in (group or {}).get("roller", []) or []:
            if role.get("fratraadt"):
                continue
            person = role.get("person") or {}
            if person.get("erDoed"):
                continue
            names = person.get("navn") or {}
            roles.append(
                {
                    "group": group_code,
                    "code": (role.get("type") or {}).get("kode", ""),
                    "birth_date": person.get("fodselsdato"),
                    "name": " ".join(
                        n for n in (names.get("fornavn"), names.get("etternavn")) if n
                    ),
                    "unit_orgnr": (role.get("enhet") or {}).get("organisasjonsnummer"),
                }
            )
    return roles


# --- Staging, comparing, applying -----------------------------------------------------------


def _distinct() -> str:
    return "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def stage_rows(run: RegistryRun, rows: Iterable[dict], *, progress: Callable | None = None) -> int:
    """Write rows to StagedBrregUnit for the run: COPY on PostgreSQL, batches elsewhere."""
    count = 0
    if connection.vendor == "postgresql":
        cols = ", ".join(("run_id", *COLUMNS))
        copy_sql = f"COPY {_table(StagedBrregUnit)} ({cols}) FROM STDIN"
        address_at = COLUMNS.index("address")
        with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as cp:
            for row in rows:
                values = [row[c] for c in COLUMNS]
                values[address_at] = json.dumps(row["address"])
                cp.write_row((run.pk, *values))
                count += 1
                if progress and count % 100_000 == 0:
                    progress(count)
        return count
    batch: list[StagedBrregUnit] = []
    for row in rows:
        batch.append(StagedBrregUnit(run=run, **row))
        count += 1
        if len(batch) >= 2000:
            StagedBrregUnit.objects.bulk_create(batch)
            batch.clear()
        if progress and count % 100_000 == 0:
            progress(count)
    if batch:
        StagedBrregUnit.objects.bulk_create(batch)
    return count


def propose(run: RegistryRun) -> Proposal:
    """Compare the run's staged units with the stored facts, in SQL."""
    s, b = _table(StagedBrregUnit), _table(BrregUnit)
    d = _distinct()
    any_change = " OR ".join(f"b.{f} {d} s.{f}" for f in FACT_FIELDS if f != "address")
    # JSON columns compare as text on both databases.
    addr = (
        "CAST(b.address AS text) IS DISTINCT FROM CAST(s.address AS text)"
        if connection.vendor == "postgresql"
        else "b.address IS NOT s.address"
    )
    rule_change = " OR ".join(f"b.{f} {d} s.{f}" for f in RULE_FIELDS)
    lost = (
        "(b.registered_in_vat AND NOT s.registered_in_vat)"
        " OR (NOT b.bankrupt AND s.bankrupt)"
        " OR (NOT b.under_forced_dissolution AND s.under_forced_dissolution)"
        " OR (b.deleted_on IS NULL AND s.deleted_on IS NOT NULL)"
        " OR (NOT b.removed AND s.removed)"
    )
    proposal = Proposal()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*),"
            f" SUM(CASE WHEN b.orgnr IS NULL OR {any_change} OR {addr} THEN 1 ELSE 0 END),"
            f" SUM(CASE WHEN b.orgnr IS NOT NULL AND ({lost}) THEN 1 ELSE 0 END)"
            f" FROM {s} s LEFT JOIN {b} b ON b.orgnr = s.orgnr WHERE s.run_id = %s",
            [run.pk],
        )
        read, changed, lost_count = cursor.fetchone()
        proposal.read, proposal.changed, proposal.lost = read or 0, changed or 0, lost_count or 0
        cursor.execute(
            f"SELECT COUNT(*) FROM {b} WHERE deleted_on IS NULL AND NOT removed AND NOT is_sub_unit"
        )
        proposal.known = cursor.fetchone()[0]
        # Only companies the card register knows can have cards to recompute.
        cursor.execute(
            f"SELECT s.orgnr FROM {s} s LEFT JOIN {b} b ON b.orgnr = s.orgnr"
            f" WHERE s.run_id = %s AND (b.orgnr IS NULL OR {rule_change})"
            f" AND s.orgnr IN (SELECT orgnr FROM {_table(Company)})",
            [run.pk],
        )
        proposal.affected_orgnrs = {row[0] for row in cursor.fetchall()}
    return proposal


def _apply_staged(run: RegistryRun) -> None:
    s, b = _table(StagedBrregUnit), _table(BrregUnit)
    cols = ", ".join(COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "orgnr")
    with connection.cursor() as cursor:
        # Facts read earlier never overwrite facts read later (a held run approved late).
        cursor.execute(
            f"INSERT INTO {b} ({cols}) SELECT {cols} FROM {s} WHERE run_id = %s"
            f" ON CONFLICT (orgnr) DO UPDATE SET {updates}"
            f" WHERE excluded.read_at >= {b}.read_at",
            [run.pk],
        )
        cursor.execute(f"DELETE FROM {s} WHERE run_id = %s", [run.pk])


def _discard_unchanged(run: RegistryRun) -> None:
    """Keep only the staged units that differ from the stored facts (what staff review)."""
    s, b = _table(StagedBrregUnit), _table(BrregUnit)
    d = _distinct()
    same = " AND ".join(f"NOT (b.{f} {d} s.{f})" for f in FACT_FIELDS if f != "address")
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {s} WHERE run_id = %s AND id IN ("
            f"SELECT s.id FROM {s} s JOIN {b} b ON b.orgnr = s.orgnr"
            f" WHERE s.run_id = %s AND {same})",
            [run.pk, run.pk],
        )


def stage_and_conclude(
    run: RegistryRun,
    rows: Iterable[dict],
    *,
    force: bool = False,
    progress: Callable | None = None,
    before_apply: Callable[[], None] | None = None,
) -> RegistryRun:
    """Stage, compare, and apply or hold, in one transaction. Failures change nothing."""
    try:
        with transaction.atomic():
            stage_rows(run, rows, progress=progress)
            proposal = propose(run)

            def apply():
                _apply_staged(run)
                if before_apply:
                    before_apply()

            conclude(
                run,
                proposal,
                apply=apply,
                discard_unchanged=lambda: _discard_unchanged(run),
                force=force,
            )
    except (RegisterError, ijson.JSONError, EOFError, OSError, ValueError) as exc:
        return fail_run(run, str(exc) or exc.__class__.__name__)
    return run


def apply_held(run: RegistryRun) -> None:
    """Approve a held run: apply its staged units (called by services.approve_run)."""
    proposal = propose(run)
    proposal.read = run.records_read
    conclude(
        run,
        proposal,
        apply=lambda: _apply_staged(run),
        discard_unchanged=lambda: None,
        force=True,
    )


# --- Look-ups --------------------------------------------------------------------------------


def lookup(orgnrs: Iterable[str], *, sub_units: bool = False) -> RegistryRun:
    """Read named units from the API now (a company seen for the first time, a staff check)."""
    orgnrs = sorted(set(orgnrs))
    run = start_run(RegistryRun.Source.BRREG_LOOKUP, f"{base_url()}/enheter")
    read_at = timezone.now()
    try:
        with make_client() as client:
            rows = [fetch_unit(client, o, sub_unit=sub_units, read_at=read_at) for o in orgnrs]
    except RegisterError as exc:
        return fail_run(run, str(exc))
    return stage_and_conclude(run, rows)


# --- Change feeds ----------------------------------------------------------------------------


def _tracked(orgnrs: list[str]) -> set[str]:
    """Units we keep facts about: every stored unit, and every company of the card register."""
    found: set[str] = set()
    for i in range(0, len(orgnrs), 2000):
        chunk = orgnrs[i : i + 2000]
        found.update(BrregUnit.objects.filter(orgnr__in=chunk).values_list("orgnr", flat=True))
        found.update(Company.objects.filter(orgnr__in=chunk).values_list("orgnr", flat=True))
    return found


def read_feed_page(client: httpx.Client, feed: str, cursor: FeedCursor) -> tuple[list[dict], bool]:
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
            parsed.append(
                {
                    "id": int(item["oppdateringsid"]),
                    "orgnr": str(item["organisasjonsnummer"]),
                    "kind": str(item.get("endringstype") or "Endring"),
                    "dato": item.get("dato"),
                }
            )
        except (KeyError, TypeError, ValueError):
            raise MalformedData(
                f"{url}: a change has no oppdateringsid/organisasjonsnummer"
            ) from None
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
    read_at = timezone.now()
    try:
        changes: dict[str, dict] = {}
        last_id = cursor.last_update_id
        pages = 0
        probe = FeedCursor(feed=cursor.feed, last_update_id=last_id, since=cursor.since)
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
    except RegisterError as exc:
        return fail_run(run, str(exc))
    finally:
        if own_client:
            client.close()

    def move_cursor():
        if last_id is not None and last_id != cursor.last_update_id:
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


# --- Bulk file -------------------------------------------------------------------------------


def iter_bulk_units(path: str | Path) -> Iterator[Any]:
    """Stream the units of a bulk file (gzip or plain JSON array) one at a time."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        yield from ijson.items(fh, "item", use_float=True)


def import_bulk(
    path: str | Path,
    *,
    sub_units: bool | None = None,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
) -> RegistryRun:
    """Import a bulk file (`/enheter/lastned` or `/underenheter/lastned`), streamed."""
    path = Path(path)
    if sub_units is None:
        sub_units = "underenhet" in path.name
    run = start_run(RegistryRun.Source.BRREG_BULK, str(path))
    read_at = timezone.now()
    read_from = f"file:{path.name}"
    rows = (
        unit_row(data, sub_unit=sub_units, read_at=read_at, read_from=read_from)
        for data in iter_bulk_units(path)
    )

    def start_feed_here():
        # A first bulk import is a snapshot: the change feed can start from its time.
        feed = "underenheter" if sub_units else "enheter"
        cursor, _ = FeedCursor.objects.get_or_create(feed=f"brreg:{feed}")
        if cursor.last_update_id is None and cursor.since is None:
            cursor.since = read_at
            cursor.save()

    return stage_and_conclude(
        run, rows, force=force, progress=progress, before_apply=start_feed_here
    )
