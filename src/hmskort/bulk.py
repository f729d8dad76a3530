"""Fast bulk writes: COPY on PostgreSQL, executemany in large batches elsewhere.

For the few places that write hundreds of thousands of rows (recompute, synthetic data). Rows
are tuples in the order of `names` (model field names or attnames); fields not named get their
defaults, so other apps may add columns with defaults without breaking these writers.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

SQLITE_BATCH = 20000


def _column(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """The concrete field `name` (a field name or an attname) of the model."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or field.column is None:
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def _default(field: models.Field[Any, Any], now: dt.datetime) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    value = field.get_default()
    if isinstance(field, models.JSONField):
        return json.dumps(value)
    return value


def _sqlite_value(value: Any, cache: dict[Any, Any]) -> Any:
    if isinstance(value, dt.datetime):
        if value not in cache:
            cache[value] = connection.ops.adapt_datetimefield_value(value)
        return cache[value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def copy_rows(
    model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert rows into the model's table; JSON values must be given as JSON text."""
    fields = [_column(model, name) for name in names]
    named = {f.name for f in fields}
    extra_fields = [
        f for f in model._meta.concrete_fields if f.name not in named and not f.primary_key
    ]
    now = timezone.now()
    extra = tuple(_default(f, now) for f in extra_fields)
    columns = [str(f.column) for f in (*fields, *extra_fields)]
    if extra:
        rows = (tuple(row) + extra for row in rows)
    table = model._meta.db_table
    count = 0
    if connection.vendor == "postgresql":
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608
    cache: dict[Any, Any] = {}
    batch: list[list[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append([_sqlite_value(v, cache) for v in row])
            if len(batch) >= SQLITE_BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count
