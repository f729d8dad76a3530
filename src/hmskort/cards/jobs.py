"""The one place where recompute jobs are queued.

Lower apps announce changed facts through their own signals (`companies.signals`,
`people.signals`, `registries.signals`); `cards.receivers` hands each announcement to
`queue_recompute`. Within one transaction every announcement is collected into one pending
job, deduplicated, and that job is queued once, when the transaction commits (huey; the tests
run huey immediately). A rolled-back transaction queues nothing.

During a maintenance window the queued job waits on huey's schedule until the window ends: the
pause is a huey pre-execute hook in `hmskort.site.jobs`, so this module does not know of it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction


class PendingRecompute:
    """The facts announced so far in one transaction, queued as one job by the first flush."""

    def __init__(self) -> None:
        self.card_ids: set[int] = set()
        self.company_ids: set[int] = set()
        self.orgnrs: set[str] = set()
        self.person_ids: set[int] = set()
        self.unit_orgnrs: set[str] = set()
        self.causes: list[str] = []
        self.queued = False

    def add(
        self,
        *,
        card_ids: Iterable[int] = (),
        company_ids: Iterable[int] = (),
        orgnrs: Iterable[str] = (),
        person_ids: Iterable[int] = (),
        unit_orgnrs: Iterable[str] = (),
        cause: str,
    ) -> None:
        self.card_ids.update(int(i) for i in card_ids)
        self.company_ids.update(int(i) for i in company_ids)
        self.orgnrs.update(str(o) for o in orgnrs)
        self.person_ids.update(int(i) for i in person_ids)
        self.unit_orgnrs.update(str(o) for o in unit_orgnrs)
        if cause not in self.causes:
            self.causes.append(cause)

    def __bool__(self) -> bool:
        return bool(
            self.card_ids or self.company_ids or self.orgnrs or self.person_ids or self.unit_orgnrs
        )

    @property
    def cause(self) -> str:
        return "+".join(self.causes)[:64]

    def queue(self) -> None:
        if self.queued or not self:
            return
        self.queued = True
        from .tasks import recompute_facts

        recompute_facts(
            card_ids=sorted(self.card_ids),
            company_ids=sorted(self.company_ids),
            orgnrs=sorted(self.orgnrs),
            person_ids=sorted(self.person_ids),
            # A unit also announced with other facts is read in full (it is in `orgnrs`).
            unit_orgnrs=sorted(self.unit_orgnrs - self.orgnrs),
            cause=self.cause,
        )


class _Flush:
    """One on-commit callback per announcement, all sharing the transaction's pending job: the
    first to run queues it, the others find it queued. (One callback per announcement, not one
    per transaction, so a savepoint rolled back takes only its own callbacks away.)"""

    __slots__ = ("pending",)

    def __init__(self, pending: PendingRecompute) -> None:
        self.pending = pending

    def __call__(self) -> None:
        self.pending.queue()


def _pending_in_this_transaction() -> PendingRecompute | None:
    """The pending job of the current transaction: the one of the latest flush still registered
    (the newest callbacks are at the end, so this is quick)."""
    for entry in reversed(connection.run_on_commit):
        func = entry[1]
        if isinstance(func, _Flush) and not func.pending.queued:
            return func.pending
    return None


def queue_recompute(
    *,
    card_ids: Iterable[int] = (),
    company_ids: Iterable[int] = (),
    orgnrs: Iterable[str] = (),
    person_ids: Iterable[int] = (),
    unit_orgnrs: Iterable[str] = (),
    cause: str,
) -> None:
    """Recompute the cards these facts touch, once, after the current transaction commits.

    `company_ids`, `orgnrs` and `unit_orgnrs` may name main units or sub-units (a sub-unit
    stands for its main unit's cards); `person_ids` are card holders. `unit_orgnrs` are units
    whose own register facts alone moved (see `recompute.recompute_cards`). Outside a
    transaction the job is queued now.
    """
    pending = _pending_in_this_transaction() if connection.in_atomic_block else None
    if pending is None:
        pending = PendingRecompute()
    pending.add(
        card_ids=card_ids,
        company_ids=company_ids,
        orgnrs=orgnrs,
        person_ids=person_ids,
        unit_orgnrs=unit_orgnrs,
        cause=cause,
    )
    transaction.on_commit(_Flush(pending))
