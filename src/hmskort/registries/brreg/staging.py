"""Staging, comparing and applying units: the SQL every Enhetsregisteret run goes through.

Facts go through a temporary stage of a RegistryRun: compared with the stored facts in SQL (how
many changed, how many stop meeting a duty, which companies need a recompute), then applied with
one INSERT … ON CONFLICT, or kept as StagedBrregUnit rows and held for review. The stage is
written with COPY on PostgreSQL, so a bulk file of a million units keeps memory flat.
"""

# SQL here is built from model table and column names only; values are always parameters.
# ruff: noqa: S608

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable
from typing import Any, cast

import ijson
import psycopg
from django.db import DatabaseError, connection, models, transaction
from django.db.backends.utils import CursorWrapper

from hmskort.companies.models import Company
from hmskort.http import RegisterError

from ..models import BrregUnit, RegistryRun, StagedBrregUnit
from ..services import Proposal, conclude, fail_run, mass_change_limit
from .mapping import COLUMNS, FACT_FIELDS, RULE_FIELDS, copy_body, copy_line, copy_tail, fact_digest


def _distinct() -> str:
    return "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"


UnitRow = dict[str, Any]  # a unit's columns, as `mapping.unit_row` gives them
CopyLine = tuple[str, str, str]  # (orgnr, facts digest, COPY line), from `unit_copy_line`


def _table(model: type[models.Model]) -> str:
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


def stage_rows(
    run: RegistryRun,
    rows: Iterable[UnitRow] | Iterable[CopyLine] | Iterable[str],
    *,
    progress: Callable[..., None] | None = None,
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
                tails: dict[tuple[Any, str], str] = {}
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
                        row = copy_line(row, tail)
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
    batch: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        # Elsewhere than on PostgreSQL the rows are always unit rows (`unit_row`).
        for unit in cast("Iterable[UnitRow]", rows):
            row = {**unit, "fact_hash": fact_digest(copy_body(unit))}
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
    progress: Callable[..., None] | None = None,
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

    def flush(cursor: CursorWrapper) -> None:
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
        # A main unit read after its sub-unit: the sub-unit's company can now be tied to it.
        c = _table(Company)
        cursor.execute(
            f"SELECT su.orgnr FROM {CHANGES} x"
            f" JOIN {b} su ON su.parent_orgnr = x.orgnr AND su.is_sub_unit"
            f" JOIN {c} c ON c.orgnr = su.orgnr"
            f" WHERE x.is_relevant = 1 AND NOT x.is_sub_unit AND c.parent_id IS NULL"
        )
        proposal.affected_orgnrs.update(row[0] for row in cursor.fetchall())
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
    rows: Iterable[UnitRow] | Iterable[CopyLine],
    *,
    force: bool = False,
    progress: Callable[..., None] | None = None,
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
                read = stage_bulk_lines(run, cast("Iterable[CopyLine]", rows), progress=progress)
                proposal = propose(run, read=read)
            else:
                _create_stage()
                read = stage_rows(run, rows, progress=progress)
                proposal = propose(run, read=read)

            def apply() -> None:
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
    except (DatabaseError, psycopg.Error) as exc:  # e.g. a unit twice in one file
        # psycopg's own errors too: COPY runs on the driver's cursor, outside Django's wrapping.
        return fail_run(run, f"the facts could not be stored: {exc}".strip())
    except BaseException as exc:
        # Whatever else went wrong, nothing was applied: the run must not stay "running".
        fail_run(run, f"the run stopped on an unexpected error: {exc.__class__.__name__}")
        raise
    return run


def apply_held(run: RegistryRun) -> None:
    """Approve a held run: apply its staged units (called by sources.approve_run)."""
    staged = _table(StagedBrregUnit)
    proposal = propose(run, staged, read=run.records_read)

    def apply() -> None:
        _apply(run, staged, touch_unchanged=True)
        StagedBrregUnit.objects.filter(run=run).delete()

    conclude(run, proposal, apply=apply, discard_unchanged=lambda: None, force=True)
    _drop_stage()
