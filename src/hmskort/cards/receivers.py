"""The cards app listens to the facts the lower apps announce, and queues one recompute per
transaction through `cards.jobs`. No lower app imports `cards`."""

from __future__ import annotations

from .jobs import queue_recompute


def company_facts_changed(sender, *, company_ids, cause: str = "company", **kwargs) -> None:
    queue_recompute(company_ids=company_ids, cause=cause)


def person_facts_changed(sender, *, person_ids, cause: str = "person", **kwargs) -> None:
    queue_recompute(person_ids=person_ids, cause=cause)


def register_facts_changed(sender, *, orgnrs, cause: str = "registry", **kwargs) -> None:
    queue_recompute(orgnrs=orgnrs, cause=cause)
