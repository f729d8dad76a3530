"""`hmskort registries sync [--source NAME]` and `hmskort registries import SOURCE PATH`."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hmskort.people.models import Employment
from hmskort.registries import aareg, bemanning, brreg, renhold
from hmskort.registries.models import RegistryRun

SYNC_SOURCES = ("brreg", "brreg-bulk", "renhold", "bemanning")
IMPORT_SOURCES = ("brreg", "renhold", "bemanning", "aareg", "oar")


class Command(BaseCommand):
    help = "Read the public registers: follow the change feeds, fetch the files, import files."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sync = sub.add_parser("sync", help="Read one source (or every configured one) now.")
        sync.add_argument("--source", choices=SYNC_SOURCES)
        sub.add_parser("status", help="Show each source's last runs and what waits for review.")
        imp = sub.add_parser("import", help="Import a register's file.")
        imp.add_argument("source", choices=IMPORT_SOURCES)
        imp.add_argument("path")
        imp.add_argument(
            "--sub-units",
            action="store_true",
            default=None,
            help="brreg: the file holds sub-units (underenheter); guessed from the name otherwise.",
        )
        imp.add_argument(
            "--force",
            action="store_true",
            help="Apply even a mass change (only after checking the file by hand).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "status":
            return self._status()
        if options["action"] == "sync":
            runs = self._sync(options.get("source"))
        else:
            runs = [self._import(options)]
        failed = False
        for run in runs:
            self.stdout.write(
                f"{run.source}: {run.status} — read {run.records_read}, changed "
                f"{run.records_changed}, duties lost {run.records_lost}, companies recomputed "
                f"{run.companies_recomputed}" + (f" — {run.message}" if run.message else "")
            )
            failed = failed or run.status in (RegistryRun.Status.FAILED, RegistryRun.Status.HELD)
        if failed:
            raise CommandError("a run failed or was held for review; see the register runs")

    def _sync(self, source: str | None) -> list[RegistryRun]:
        from django.conf import settings

        runs: list[RegistryRun] = []
        if source in (None, "brreg"):
            runs += brreg.sync_feeds()
        if source == "brreg-bulk":
            runs += brreg.sync_bulk(progress=self._progress())
        if source == "renhold" or (source is None and settings.HMSKORT_RENHOLD_URL):
            runs.append(renhold.sync())
        if source == "bemanning" or (source is None and settings.HMSKORT_BEMANNING_URL):
            runs.append(bemanning.sync())
        return runs

    def _import(self, options: dict[str, Any]) -> RegistryRun:
        source, path, force = options["source"], options["path"], options["force"]
        if source == "brreg":
            return brreg.import_bulk(
                path, sub_units=options["sub_units"], force=force, progress=self._progress()
            )
        if source == "renhold":
            return renhold.sync(path=path, force=force)
        if source == "bemanning":
            return bemanning.sync(path=path, force=force)
        kind = Employment.Source.FOREIGN if source == "oar" else Employment.Source.AAREG
        return aareg.import_employments(aareg.CsvEmploymentFile(path, source=kind), force=force)

    def _progress(self) -> Callable[[int], None]:
        started = time.monotonic()

        def progress(count: int) -> None:
            rate = count / max(time.monotonic() - started, 1e-6)
            self.stderr.write(f"  {count:,} units read ({rate:,.0f}/s)")

        return progress

    def _status(self) -> None:
        from hmskort.registries.selectors import source_states

        for state in source_states():
            last = state.last_run
            applied = state.last_applied
            self.stdout.write(
                f"{state.source:<13} last run: "
                + (f"{last.started_at:%Y-%m-%d %H:%M} {last.status}" if last else "never")
                + " | last applied: "
                + (f"{applied.started_at:%Y-%m-%d %H:%M}" if applied else "never")
                + (f" | {state.held} held for review" if state.held else "")
                + (" | STALE" if state.stale else "")
            )
