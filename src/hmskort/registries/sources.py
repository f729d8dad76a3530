"""The table of register sources, and the operations that go through it.

Each kind of run (`RegistryRun.Source`) is read and applied by one adapter module (`brreg`,
`renhold`, `bemanning`, `aareg`). The adapters import `services` (start, conclude or fail a run)
and never this module, so the package has no import cycle:

    models → services → snapshot → adapters → sources, tasks

Staff review of held runs and the look-up of new units dispatch to the adapters from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from django.db import transaction
from django.utils import timezone

from hmskort.audit.services import Actor, record

from . import aareg, bemanning, brreg, renhold
from .models import RegistryRun, StagedBrregUnit, StagedFact
from .services import RunRefused
from .tasks import lookup_units

Source = RegistryRun.Source

# How a held run of each source is applied once staff approve it.
APPLY_HELD: dict[str, Callable[[RegistryRun], None]] = {
    Source.BRREG_FEED: brreg.apply_held,
    Source.BRREG_BULK: brreg.apply_held,
    Source.BRREG_LOOKUP: brreg.apply_held,
    Source.RENHOLD: renhold.apply_held,
    Source.BEMANNING: bemanning.apply_held,
    Source.AAREG: aareg.apply_held,
    Source.OAR: aareg.apply_held,
}


@transaction.atomic
def approve_run(*, run_id: int, staff_username: str) -> RegistryRun:
    """Staff accept a held run: its staged facts are applied and the recompute follows."""
    run = RegistryRun.objects.select_for_update().get(pk=run_id)
    if run.status != RegistryRun.Status.HELD:
        raise RunRefused(f"run {run.pk} is {run.status}, not held")
    run.reviewed_by = staff_username[:150]
    run.reviewed_at = timezone.now()
    APPLY_HELD[run.source](run)
    record(actor=Actor.staff(staff_username), action="registries.run_approved", target=run)
    return run


@transaction.atomic
def reject_run(*, run_id: int, staff_username: str) -> RegistryRun:
    """Staff refuse a held run: its staged facts are dropped and the last known facts stay."""
    run = RegistryRun.objects.select_for_update().get(pk=run_id)
    if run.status != RegistryRun.Status.HELD:
        raise RunRefused(f"run {run.pk} is {run.status}, not held")
    StagedBrregUnit.objects.filter(run=run).delete()
    StagedFact.objects.filter(run=run).delete()
    run.status = RegistryRun.Status.REJECTED
    run.reviewed_by = staff_username[:150]
    run.reviewed_at = timezone.now()
    run.save()
    record(actor=Actor.staff(staff_username), action="registries.run_rejected", target=run)
    return run


def request_lookup(*, orgnrs: Iterable[str]) -> None:
    """Read these units from Enhetsregisteret soon (after commit), e.g. a company seen first now.

    Until the facts arrive the card rules count the company as not found, so call this as soon
    as a Company row is created.
    """
    orgnrs = sorted(set(orgnrs))
    if orgnrs:
        transaction.on_commit(partial(lookup_units, orgnrs))
