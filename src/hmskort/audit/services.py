"""Writing audit events. Every service that changes state calls `record` inside its transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models

from .models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who acts: a person (by primary key), a staff user, the system (a job) or an integrator."""

    kind: str
    ref: str = ""
    label: str = ""

    @classmethod
    def system(cls, job: str) -> Actor:
        return cls(kind="system", ref=job, label=job)

    @classmethod
    def person(cls, person_id: int | str, label: str = "") -> Actor:
        return cls(kind="person", ref=str(person_id), label=label)

    @classmethod
    def staff(cls, username: str) -> Actor:
        return cls(kind="staff", ref=username, label=username)


def record(
    *,
    actor: Actor,
    action: str,
    target: models.Model | tuple[str, str],
    company: Any = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    if isinstance(target, tuple):
        object_type, object_id = target
    else:
        object_type, object_id = target._meta.label_lower, str(target.pk)
    return AuditEvent.objects.create(
        actor_kind=actor.kind,
        actor_ref=actor.ref,
        actor_label=actor.label,
        action=action,
        object_type=object_type,
        object_id=object_id,
        company=company,
        data=data or {},
    )


def record_many(events: list[AuditEvent]) -> None:
    """Bulk insert prepared events (recompute at scale)."""
    AuditEvent.objects.bulk_create(events, batch_size=2000)
