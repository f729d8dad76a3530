"""Whole-register files (Renholdsregisteret, the staffing register): read, compare, hold or apply.

A file is the register's full list. A company that was in it and is missing now is recorded as
no longer registered. Statuses the mapping does not know are refused loudly: the run is held and
those companies keep their last known facts.

Each such register is a `FileRegister`: its source, the setting that names its URL, its parser
and its model. `FileRegister.sync` is the one implementation of reading and concluding a file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from hmskort.http import RegisterError, RegisterUnavailable, make_client, request

from .models import RegistryRun, StagedFact
from .services import Proposal, conclude, fail_run, start_run


@dataclass
class Snapshot:
    records: dict[str, dict[str, Any]]  # orgnr -> model fields (name, status, [approved])
    unknown: dict[str, str]  # orgnr -> status text the mapping does not know
    read_from: str


@dataclass(frozen=True)
class FileRegister:
    """A register published as one whole file, read daily or imported from a path."""

    source: str  # RegistryRun.Source
    url_setting: str  # name of the setting with the file's URL (read at call time)
    parse: Callable[[bytes, str], Snapshot]  # raises RegisterError on a malformed file
    model: type[models.Model]
    is_approved: Callable[[dict[str, Any]], bool]
    absent: dict[str, Any]  # the fields of a company that is no longer in the file

    def sync(self, *, path: str | Path | None = None, force: bool = False) -> RegistryRun:
        """Read the file (from its URL, or a path) and apply or hold its facts."""
        url = getattr(settings, self.url_setting)
        run = start_run(self.source, str(path) if path is not None else url)
        try:
            data, read_from = read_bytes(url=url, path=path)
            snapshot = self.parse(data, read_from)
        except RegisterError as exc:
            return fail_run(run, str(exc))
        except RecursionError:
            return fail_run(run, f"{path or url}: the file is nested too deeply to be a register")
        except Exception as exc:
            # Whatever went wrong, the run ends: never left "running" with nothing to finish it.
            fail_run(run, f"reading the file failed unexpectedly ({type(exc).__name__})")
            raise
        try:
            return conclude_snapshot(
                run,
                snapshot,
                model=self.model,
                is_approved=self.is_approved,
                absent=self.absent,
                force=force,
            )
        except Exception as exc:
            fail_run(run, f"comparing the file failed unexpectedly ({type(exc).__name__})")
            raise

    def apply_held(self, run: RegistryRun) -> None:
        apply_held(run, model=self.model)


def read_bytes(*, url: str = "", path: str | Path | None = None) -> tuple[bytes, str]:
    """The file's bytes and where they came from. Raises RegisterError."""
    if path is not None:
        path = Path(path)
        try:
            return path.read_bytes(), f"file:{path.name}"
        except OSError as exc:
            raise RegisterUnavailable(f"cannot read {path}: {exc.strerror}") from None
    if not url:
        raise RegisterUnavailable("no URL is configured for this register")
    with make_client() as client:
        response = request(client, url)
    return response.content, url


def conclude_snapshot(
    run: RegistryRun,
    snapshot: Snapshot,
    *,
    model: type[models.Model],
    is_approved: Callable[[dict[str, Any]], bool],
    absent: dict[str, Any],
    force: bool = False,
) -> RegistryRun:
    read_at = timezone.now()
    names = {"orgnr", "name", *absent}
    existing = {row["orgnr"]: row for row in model._default_manager.values(*sorted(names))}
    proposal = Proposal(read=len(snapshot.records) + len(snapshot.unknown))
    proposal.known = sum(1 for row in existing.values() if is_approved(row))
    changes: dict[str, dict[str, Any]] = {}
    for orgnr, fields in snapshot.records.items():
        before = existing.get(orgnr)
        if before is None or any(before.get(k) != v for k, v in fields.items()):
            changes[orgnr] = fields
            if before is not None and is_approved(before) and not is_approved(fields):
                proposal.lost += 1
            # Gains are guarded too (a forged file approving many units), except on the very
            # first file, which has nothing to be compared with.
            if existing and is_approved(fields) and (before is None or not is_approved(before)):
                proposal.gained += 1
    for orgnr, before in existing.items():
        if orgnr in snapshot.records or orgnr in snapshot.unknown:
            continue
        gone = {**absent, "name": before.get("name", "")}
        if any(before.get(k) != v for k, v in gone.items()):
            changes[orgnr] = gone
            if is_approved(before):
                proposal.lost += 1
    proposal.changed = len(changes)
    status_counts: dict[str, int] = {}
    for status in snapshot.unknown.values():
        status_counts[status] = status_counts.get(status, 0) + 1
    proposal.unknown_statuses = status_counts
    # Any change of status can move a card (in the register or not decides the card type).
    proposal.affected_orgnrs = set(changes)

    with transaction.atomic():
        StagedFact.objects.bulk_create(
            [
                StagedFact(run=run, key=orgnr, data={**fields, "read_at": read_at.isoformat()})
                for orgnr, fields in changes.items()
            ],
            batch_size=2000,
        )
        conclude(
            run,
            proposal,
            apply=lambda: apply_staged(run, model=model, read_from=snapshot.read_from),
            discard_unchanged=lambda: None,
            force=force,
        )
    return run


def apply_staged(run: RegistryRun, *, model: type[models.Model], read_from: str) -> None:
    staged = list(StagedFact.objects.filter(run=run))
    fields_seen: set[str] = set()
    objs = []
    for fact in staged:
        data = dict(fact.data)
        read_at = dt.datetime.fromisoformat(data.pop("read_at"))
        fields_seen.update(data)
        objs.append(model(orgnr=fact.key, read_at=read_at, read_from=read_from[:300], **data))
    if objs:
        model._default_manager.bulk_create(
            objs,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["orgnr"],
            update_fields=[*sorted(fields_seen), "read_at", "read_from"],
        )
    StagedFact.objects.filter(run=run).delete()


def apply_held(run: RegistryRun, *, model: type[models.Model]) -> None:
    proposal = Proposal(read=run.records_read, changed=run.records_changed, lost=run.records_lost)
    proposal.affected_orgnrs = set(StagedFact.objects.filter(run=run).values_list("key", flat=True))
    conclude(
        run,
        proposal,
        apply=lambda: apply_staged(run, model=model, read_from=run.read_from),
        discard_unchanged=lambda: None,
        force=True,
    )
