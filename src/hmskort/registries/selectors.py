"""Reads about the registers: how fresh each source's facts are, and what waits for review."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from .models import RegistryRun

# A source whose last applied run is older than this is stale: its facts still count (the last
# known facts stay) but staff should look at why it is not being read.
STALE_AFTER: dict[str, dt.timedelta] = {
    RegistryRun.Source.BRREG_FEED: dt.timedelta(hours=1),
    RegistryRun.Source.RENHOLD: dt.timedelta(days=2),
    RegistryRun.Source.BEMANNING: dt.timedelta(days=2),
}
APPLIED = (RegistryRun.Status.OK, RegistryRun.Status.APPROVED)


@dataclass(frozen=True)
class SourceState:
    source: str
    label: str
    last_run: RegistryRun | None
    last_applied: RegistryRun | None
    held: int
    stale: bool


def source_states(now: dt.datetime | None = None) -> list[SourceState]:
    now = now or timezone.now()
    states = []
    for source, label in RegistryRun.Source.choices:
        runs = RegistryRun.objects.filter(source=source)
        last_run = runs.order_by("-started_at", "-id").first()
        last_applied = runs.filter(status__in=APPLIED).order_by("-started_at", "-id").first()
        limit = STALE_AFTER.get(source)
        stale = bool(
            limit
            and last_run is not None
            and (last_applied is None or now - last_applied.started_at > limit)
        )
        states.append(
            SourceState(
                source=source,
                label=str(label),
                last_run=last_run,
                last_applied=last_applied,
                held=runs.filter(status=RegistryRun.Status.HELD).count(),
                stale=stale,
            )
        )
    return states


def held_runs() -> QuerySet[RegistryRun]:
    return RegistryRun.objects.filter(status=RegistryRun.Status.HELD).order_by("started_at")
