"""Writing audit events. Every service that changes state calls `record` inside its transaction."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.utils import timezone

from hmskort.bulk import copy_rows

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


def record_many(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    events: Iterable[tuple[str | int, int | None, str | dict[str, Any]]],
    at: dt.datetime | None = None,
) -> int:
    """Record one action on many objects in one bulk write (COPY on PostgreSQL); return how many.

    `events` yields `(object_id, company_id, data)`; `data` may be given as JSON text already
    (the recompute encodes each distinct payload once). Same transaction rules as `record`.
    """
    at = at or timezone.now()
    kind, ref, label = actor.kind, actor.ref, actor.label

    def rows() -> Iterator[tuple[Any, ...]]:
        for object_id, company_id, data in events:
            yield (
                at,
                kind,
                ref,
                label,
                action,
                object_type,
                str(object_id),
                company_id,
                data if isinstance(data, str) else json.dumps(data),
            )

    return copy_rows(
        AuditEvent,
        (
            "at",
            "actor_kind",
            "actor_ref",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "company",
            "data",
        ),
        rows(),
    )


def record_select(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    select: str,
    params: Sequence[Any] = (),
    at: dt.datetime | None = None,
) -> int:
    """Record one action on many objects straight from a query, inside the database; return
    how many. PostgreSQL only (the recompute's fast path; elsewhere use `record_many`).

    `select` is a SELECT yielding the columns `(object_id, company_id, data)`: the object id as
    text, the company's id or NULL, the data as jsonb. The rows never travel through Python:
    `INSERT … SELECT`. Same transaction rules as `record`.
    """
    if connection.vendor != "postgresql":
        raise NotImplementedError("record_select is for PostgreSQL; use record_many")
    at = at or timezone.now()
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table}
                   (at, actor_kind, actor_ref, actor_label, action, object_type, object_id,
                    company_id, data)
            SELECT %s, %s, %s, %s, %s, %s, q.object_id, q.company_id, q.data
              FROM ({select}) AS q (object_id, company_id, data)
            """,  # noqa: S608 -- the table name and the caller's own query; values are parameters
            [at, actor.kind, actor.ref, actor.label, action, object_type, *params],
        )
        return int(cursor.rowcount)
