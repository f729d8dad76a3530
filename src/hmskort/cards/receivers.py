"""The cards app listens to the facts the lower apps announce, and queues one recompute per
transaction through `cards.jobs`. No lower app imports `cards`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .jobs import queue_recompute


def company_facts_changed(
    sender: object, *, company_ids: Iterable[int], cause: str = "company", **kwargs: Any
) -> None:
    queue_recompute(company_ids=company_ids, cause=cause)


def person_facts_changed(
    sender: object, *, person_ids: Iterable[int], cause: str = "person", **kwargs: Any
) -> None:
    queue_recompute(person_ids=person_ids, cause=cause)


def register_facts_changed(
    sender: object,
    *,
    orgnrs: Iterable[str],
    cause: str = "registry",
    units_only: bool = False,
    **kwargs: Any,
) -> None:
    if units_only:
        queue_recompute(unit_orgnrs=orgnrs, cause=cause)
    else:
        queue_recompute(orgnrs=orgnrs, cause=cause)
