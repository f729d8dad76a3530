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
import hashlib
import itertools
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import ijson
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date

from hmskort.companies.models import Company

from .http import (
    MalformedData,
    RegisterError,
    RegisterUnavailable,
    get_json,
    make_client,
    parse_json,
    request,
)
from .models import BrregUnit, FeedCursor, RegistryRun, StagedBrregUnit
from .services import Proposal, conclude, fail_run, mass_change_limit, start_run

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
# Fields the validity rules read (directly or through Company flags), and the name a card shows.
RULE_FIELDS = (
    "name",
    "parent_orgnr",
    "registered_in_vat",
    "bankrupt",
    "under_liquidation",
    "under_forced_dissolution",
    "deleted_on",
    "removed",
    "nace_code",
)
COLUMNS = ("orgnr", *FACT_FIELDS, "fact_hash", "read_at", "read_from")


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


def unit_copy_line(data: Any, *, sub_unit: bool, tail: str) -> tuple[str, str, str]:
    """`unit_row` and `_copy_line` in one step, for the bulk file on PostgreSQL (no dict between).

    Returns (orgnr, digest of the facts, COPY line). Must give exactly the line
    `_copy_line(unit_row(…))` gives; a test holds the two together.
    """
    if not isinstance(data, dict):
        raise MalformedData("a unit is not a JSON object")
    orgnr = data.get("organisasjonsnummer")
    if not isinstance(orgnr, str) or len(orgnr) != 9 or not orgnr.isdigit():
        row = unit_row(data, sub_unit=sub_unit, read_at=_EPOCH, read_from="")
        body = _copy_body(row)
        digest = fact_digest(body)
        return row["orgnr"], digest, f"{body}\t{digest}\t{tail}"
    form = data.get("organisasjonsform")
    nace = data.get("naeringskode1")
    address = (
        data.get("forretningsadresse")
        or data.get("beliggenhetsadresse")
        or data.get("postadresse")
        or {}
    )
    deleted = data.get("slettedato")
    if deleted:
        deleted_on = parse_date(deleted) if isinstance(deleted, str) else None
        if deleted_on is None:
            raise MalformedData(f"unit {orgnr} has a malformed slettedato")
        deleted = deleted_on.isoformat()
    else:
        deleted = "\\N"
    name = data.get("navn") or ""
    body = "\t".join(
        (
            orgnr,
            _copy_text(str(name)[:300]),
            _copy_text(str(form.get("kode") or "")[:8]) if isinstance(form, dict) else "",
            _copy_text(str(data.get("overordnetEnhet") or "")[:9]),
            "t" if sub_unit else "f",
            "t" if data.get("registrertIMvaregisteret") else "f",
            "t" if data.get("konkurs") else "f",
            "t" if data.get("underAvvikling") else "f",
            "t" if data.get("underTvangsavviklingEllerTvangsopplosning") else "f",
            deleted,
            "f",
            _copy_text(str(nace.get("kode") or "")[:8]) if isinstance(nace, dict) else "",
            _copy_text(_encode_json(address if isinstance(address, dict) else {})),
        )
    )
    digest = fact_digest(body)
    return orgnr, digest, f"{body}\t{digest}\t{tail}"


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


STAGE = "hmskort_brreg_stage"  # temporary tables, one per transaction
CHANGES = "hmskort_brreg_changes"  # always a view: of the stage, or of CHANGED_ROWS
CHANGED_ROWS = "hmskort_brreg_changed_rows"


def _create_stage() -> None:
    """A temporary table shaped like StagedBrregUnit: no index to keep, nothing to delete after."""
    cols = ", ".join(("run_id", *COLUMNS))
    _drop_stage()
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {STAGE} AS SELECT {cols} FROM {_table(StagedBrregUnit)}"
            + (" WITH NO DATA" if connection.vendor == "postgresql" else " WHERE 0")
        )


def _drop_stage() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP VIEW IF EXISTS {CHANGES}")
        cursor.execute(f"DROP TABLE IF EXISTS {CHANGED_ROWS}")
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")


_encode_json = json.JSONEncoder(ensure_ascii=False).encode


def _copy_text(value: str) -> str:
    """Escape a value for COPY's text format (most values need nothing: check before replacing)."""
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _copy_line(row: dict, tail: str) -> str:
    """One row in COPY's text format (faster than adapting each value in psycopg)."""
    body = _copy_body(row)
    return f"{body}\t{fact_digest(body)}\t{tail}"


def fact_digest(body: str) -> str:
    return hashlib.blake2b(body.encode(), digest_size=16).hexdigest()


def _copy_body(row: dict) -> str:
    """The facts of a row (orgnr … address) in COPY's text format: what the digest covers."""
    deleted = row["deleted_on"]
    return "\t".join(
        (
            row["orgnr"],
            _copy_text(row["name"]),
            _copy_text(row["organisation_form"]),
            _copy_text(row["parent_orgnr"]),
            "t" if row["is_sub_unit"] else "f",
            "t" if row["registered_in_vat"] else "f",
            "t" if row["bankrupt"] else "f",
            "t" if row["under_liquidation"] else "f",
            "t" if row["under_forced_dissolution"] else "f",
            deleted.isoformat() if deleted else "\\N",
            "t" if row["removed"] else "f",
            _copy_text(row["nace_code"]),
            _copy_text(_encode_json(row["address"])),
        )
    )


def copy_tail(read_at: dt.datetime, read_from: str) -> str:
    return read_at.isoformat() + "\t" + _copy_text(read_from[:300])


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def stage_rows(
    run: RegistryRun,
    rows: Iterable[dict] | Iterable[str],
    *,
    progress: Callable | None = None,
    direct: bool = False,
) -> int:
    """Write rows to the temporary stage: COPY on PostgreSQL, executemany batches elsewhere.

    On PostgreSQL `rows` may be ready COPY lines (`unit_copy_line`). `direct` writes straight
    into BrregUnit (the first import into an empty table: there is nothing to compare with).
    """
    count = 0
    address_at = COLUMNS.index("address")
    cols = ", ".join(("run_id", *COLUMNS))
    if connection.vendor == "postgresql":
        assert COLUMNS[-2:] == ("read_at", "read_from")
        if direct:
            target, cols, prefix = _table(BrregUnit), ", ".join(COLUMNS), ""
        else:
            target, prefix = STAGE, f"{run.pk}\t"
        buffer: list[str] = []
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {target} ({cols}) FROM STDIN") as cp:
                tails: dict[tuple, str] = {}
                for row in rows:
                    if isinstance(row, tuple):  # (orgnr, digest, line) from unit_copy_line
                        row = row[2]
                    elif isinstance(row, dict):
                        key = (row["read_at"], row["read_from"])
                        tail = tails.get(key)
                        if tail is None:  # the rows of a run share when and where they were read
                            if len(tails) > 1000:
                                tails.clear()
                            tail = tails[key] = copy_tail(row["read_at"], row["read_from"])
                        row = _copy_line(row, tail)
                    buffer.append(prefix + row)
                    count += 1
                    if len(buffer) >= 2000:
                        cp.write("\n".join(buffer) + "\n")
                        buffer.clear()
                    if progress and count % 100_000 == 0:
                        progress(count)
                if buffer:
                    cp.write("\n".join(buffer) + "\n")
            if not direct:
                cursor.execute(f"ANALYZE {STAGE}")
        return count
    marks = ", ".join(["%s"] * (len(COLUMNS) + 1))
    sql = f"INSERT INTO {STAGE} ({cols}) VALUES ({marks})"
    batch: list[tuple] = []
    with connection.cursor() as cursor:
        for row in rows:
            row = {**row, "fact_hash": fact_digest(_copy_body(row))}
            values = [row[c] for c in COLUMNS]
            values[address_at] = json.dumps(row["address"])
            values[COLUMNS.index("read_at")] = connection.ops.adapt_datetimefield_value(
                row["read_at"]
            )
            values[COLUMNS.index("deleted_on")] = connection.ops.adapt_datefield_value(
                row["deleted_on"]
            )
            batch.append((run.pk, *values))
            count += 1
            if len(batch) >= 5000:
                cursor.executemany(sql, batch)
                batch.clear()
            if progress and count % 100_000 == 0:
                progress(count)
        if batch:
            cursor.executemany(sql, batch)
    return count


def stage_bulk_lines(
    run: RegistryRun,
    items: Iterable[tuple[str, str, str]],
    *,
    progress: Callable | None = None,
    batch_size: int = 5000,
) -> int:
    """Stage only the bulk units whose facts digest differs from the stored one (PostgreSQL).

    Per batch: one primary-key look-up of the stored digests, then one COPY of what changed.
    A daily file in which little changed thus stages little. Returns how many units were read.
    """
    b = _table(BrregUnit)
    cols = ", ".join(("run_id", *COLUMNS))
    prefix = f"{run.pk}\t"
    read = 0
    batch: list[tuple[str, str, str]] = []

    def flush(cursor) -> None:
        orgnrs = [i[0] for i in batch]
        if all(a < b for a, b in itertools.pairwise(orgnrs)):
            # The register's file is sorted: one range scan of the primary key beats N probes.
            cursor.execute(
                f"SELECT orgnr, fact_hash FROM {b} WHERE orgnr >= %s AND orgnr <= %s",
                [orgnrs[0], orgnrs[-1]],
            )
        else:
            cursor.execute(f"SELECT orgnr, fact_hash FROM {b} WHERE orgnr = ANY(%s)", [orgnrs])
        stored = dict(cursor.fetchall())
        changed = [prefix + line for orgnr, digest, line in batch if stored.get(orgnr) != digest]
        if changed:
            with cursor.cursor.copy(f"COPY {STAGE} ({cols}) FROM STDIN") as cp:
                cp.write("\n".join(changed) + "\n")
        batch.clear()

    with connection.cursor() as cursor:
        for item in items:
            batch.append(item)
            read += 1
            if len(batch) >= batch_size:
                flush(cursor)
            if progress and read % 100_000 == 0:
                progress(read)
        if batch:
            flush(cursor)
        cursor.execute(f"ANALYZE {STAGE}")
    return read


def _changed_sql(a: str = "b", b: str = "s") -> str:
    d = _distinct()
    # The digest too: a unit stored without one (or with another) is rewritten once.
    fields = [f for f in FACT_FIELDS if f != "address"] + ["fact_hash"]
    plain = " OR ".join(f"{a}.{f} {d} {b}.{f}" for f in fields)
    if connection.vendor == "postgresql":
        addr = f"CAST({a}.address AS jsonb) IS DISTINCT FROM CAST({b}.address AS jsonb)"
    else:
        addr = f"{a}.address IS NOT {b}.address"
    return f"({plain} OR {addr})"


def _diff(run: RegistryRun, source: str) -> None:
    """Build CHANGES: the staged units that differ from the stored facts, with what they do.

    One join over the stage; the counts, the recompute list, the upsert and the review copy
    all read this (much smaller) table. With no stored facts at all it is a view of the stage.
    """
    b = _table(BrregUnit)
    d = _distinct()
    cols = ", ".join(f"s.{c}" for c in ("run_id", *COLUMNS))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP VIEW IF EXISTS {CHANGES}")
        cursor.execute(f"DROP TABLE IF EXISTS {CHANGED_ROWS}")
        if not BrregUnit.objects.exists():
            cursor.execute(
                f"CREATE TEMPORARY VIEW {CHANGES} AS SELECT {cols}, 0 AS is_lost, 1 AS is_relevant"
                f" FROM {source} s WHERE s.run_id = {int(run.pk)}"
            )
            return
        rule_change = " OR ".join(f"b.{f} {d} s.{f}" for f in RULE_FIELDS)
        lost = (
            "(b.registered_in_vat AND NOT s.registered_in_vat)"
            " OR (NOT b.bankrupt AND s.bankrupt)"
            " OR (NOT b.under_forced_dissolution AND s.under_forced_dissolution)"
            " OR (b.deleted_on IS NULL AND s.deleted_on IS NOT NULL)"
            " OR (NOT b.removed AND s.removed)"
        )
        cursor.execute(
            f"CREATE TEMPORARY TABLE {CHANGED_ROWS} AS SELECT {cols},"
            f" CASE WHEN b.orgnr IS NOT NULL AND ({lost}) THEN 1 ELSE 0 END AS is_lost,"
            f" CASE WHEN b.orgnr IS NULL OR {rule_change} THEN 1 ELSE 0 END AS is_relevant"
            f" FROM {source} s LEFT JOIN {b} b ON b.orgnr = s.orgnr"
            f" WHERE s.run_id = %s AND (b.orgnr IS NULL OR {_changed_sql()})",
            [run.pk],
        )
        cursor.execute(f"CREATE TEMPORARY VIEW {CHANGES} AS SELECT * FROM {CHANGED_ROWS}")


def propose(run: RegistryRun, source: str = STAGE, *, read: int | None = None) -> Proposal:
    """Compare the run's staged units with the stored facts, in SQL."""
    _diff(run, source)
    b = _table(BrregUnit)
    proposal = Proposal()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), SUM(is_lost) FROM {CHANGES}")
        changed, lost_count = cursor.fetchone()
        proposal.changed, proposal.lost = changed or 0, lost_count or 0
        if read is None:
            cursor.execute(f"SELECT COUNT(*) FROM {source} WHERE run_id = %s", [run.pk])
            read = cursor.fetchone()[0]
        proposal.read = read
        if proposal.lost > mass_change_limit(0):  # below the floor the share does not matter
            cursor.execute(
                f"SELECT COUNT(*) FROM {b}"
                " WHERE deleted_on IS NULL AND NOT removed AND NOT is_sub_unit"
            )
            proposal.known = cursor.fetchone()[0]
        # Only companies the card register knows can have cards to recompute.
        cursor.execute(
            f"SELECT x.orgnr FROM {CHANGES} x JOIN {_table(Company)} c ON c.orgnr = x.orgnr"
            f" WHERE x.is_relevant = 1"
        )
        proposal.affected_orgnrs = {row[0] for row in cursor.fetchall()}
    return proposal


def _apply(run: RegistryRun, source: str, *, touch_unchanged: bool) -> None:
    """Upsert the units that changed. Facts read earlier never overwrite facts read later.

    `touch_unchanged` (feeds, look-ups: a few units) also renews read_at of units that did not
    change. A bulk file rewrites only the units that changed: their read_at is when the change
    was read, and the run records when the whole register was last confirmed.
    """
    b = _table(BrregUnit)
    cols = ", ".join(COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "orgnr")
    origin = source if touch_unchanged else CHANGES
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {b} ({cols}) SELECT {cols} FROM {origin} WHERE run_id = %s"
            f" ON CONFLICT (orgnr) DO UPDATE SET {updates} WHERE excluded.read_at >= {b}.read_at",
            [run.pk],
        )


def _keep_for_review(run: RegistryRun) -> None:
    """Copy the staged units that differ from the stored facts to StagedBrregUnit for review."""
    cols = ", ".join(("run_id", *COLUMNS))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(StagedBrregUnit)} ({cols}) SELECT {cols} FROM {CHANGES}"
        )


def stage_and_conclude(
    run: RegistryRun,
    rows: Iterable[dict],
    *,
    force: bool = False,
    progress: Callable | None = None,
    before_apply: Callable[[], None] | None = None,
    touch_unchanged: bool = True,
    bulk_lines: bool = False,
) -> RegistryRun:
    """Stage, compare, and apply or hold, in one transaction. Failures change nothing.

    `bulk_lines`: rows are (orgnr, digest, COPY line) tuples from `unit_copy_line` (PostgreSQL).
    """
    try:
        with transaction.atomic():
            direct = connection.vendor == "postgresql" and not BrregUnit.objects.exists()
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:  # room for the hash joins of a bulk file
                    cursor.execute("SET LOCAL work_mem = '256MB'")
            if direct:
                # Nothing stored yet: nothing to compare with, no duty can be lost.
                read = stage_rows(run, rows, progress=progress, direct=True)
                proposal = Proposal(read=read, changed=read)
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT c.orgnr FROM {_table(Company)} c"
                        f" JOIN {_table(BrregUnit)} b ON b.orgnr = c.orgnr"
                    )
                    proposal.affected_orgnrs = {row[0] for row in cursor.fetchall()}
            elif bulk_lines:
                _create_stage()
                read = stage_bulk_lines(run, rows, progress=progress)
                proposal = propose(run, read=read)
            else:
                _create_stage()
                read = stage_rows(run, rows, progress=progress)
                proposal = propose(run, read=read)

            def apply():
                if not direct:
                    _apply(run, STAGE, touch_unchanged=touch_unchanged)
                if before_apply:
                    before_apply()

            conclude(
                run,
                proposal,
                apply=apply,
                discard_unchanged=lambda: _keep_for_review(run),
                force=force,
            )
            _drop_stage()
    except (RegisterError, ijson.JSONError, EOFError, OSError, ValueError) as exc:
        return fail_run(run, str(exc) or exc.__class__.__name__)
    except DatabaseError as exc:  # e.g. a unit twice in one file: nothing was applied
        return fail_run(run, f"the facts could not be stored: {exc}".strip())
    return run


def apply_held(run: RegistryRun) -> None:
    """Approve a held run: apply its staged units (called by services.approve_run)."""
    staged = _table(StagedBrregUnit)
    proposal = propose(run, staged, read=run.records_read)

    def apply():
        _apply(run, staged, touch_unchanged=True)
        StagedBrregUnit.objects.filter(run=run).delete()

    conclude(run, proposal, apply=apply, discard_unchanged=lambda: None, force=True)
    _drop_stage()


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
    if connection.vendor == "postgresql":
        tail = copy_tail(read_at, read_from)
        rows = (
            unit_copy_line(data, sub_unit=sub_units, tail=tail) for data in iter_bulk_units(path)
        )
    else:
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
        run,
        rows,
        force=force,
        progress=progress,
        before_apply=start_feed_here,
        touch_unchanged=False,
        bulk_lines=connection.vendor == "postgresql",
    )


def sync_bulk(*, progress: Callable[[int], None] | None = None) -> list[RegistryRun]:
    """Download the bulk files (`/enheter/lastned`, `/underenheter/lastned`) and import them.

    Downloads stream to a file under VAR_DIR/registries (never held in memory); a download that
    fails is recorded as a failed run and changes nothing.
    """
    folder = Path(settings.VAR_DIR) / "registries"
    folder.mkdir(parents=True, exist_ok=True)
    runs = []
    for kind in ("enheter", "underenheter"):
        url = f"{base_url()}/{kind}/lastned"
        target = folder / f"{kind}_alle.json.gz"
        partial = target.with_suffix(".part")
        try:
            timeout = float(getattr(settings, "HMSKORT_REGISTRY_TIMEOUT", 15.0))
            with (
                httpx.stream(
                    "GET",
                    url,
                    timeout=httpx.Timeout(timeout, read=max(timeout, 60.0)),
                    headers={
                        "Accept": "*/*",
                        "User-Agent": "hmskort registry sync",
                    },
                    follow_redirects=True,
                ) as response,
                partial.open("wb") as fh,
            ):
                if not response.is_success:
                    raise RegisterUnavailable(f"{url} answered HTTP {response.status_code}")
                for chunk in response.iter_raw(1 << 20):
                    fh.write(chunk)
            partial.replace(target)
        except (httpx.HTTPError, RegisterUnavailable, OSError) as exc:
            run = start_run(RegistryRun.Source.BRREG_BULK, url)
            runs.append(fail_run(run, str(exc) or exc.__class__.__name__))
            partial.unlink(missing_ok=True)
            continue
        runs.append(import_bulk(target, sub_units=kind == "underenheter", progress=progress))
    return runs
