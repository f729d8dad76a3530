"""Readiness of the parts a request or a job needs: database, cache, job queue, file storage.

Each check returns None when the part answers, or a short reason (never a secret or a host name
from the settings: the answer of /readyz is public to the load balancer).
"""

import logging
import os
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.core.files.storage import FileSystemStorage, storages
from django.db import connections

logger = logging.getLogger(__name__)


def check_database() -> None:
    for alias in connections:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()


def check_cache() -> None:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not keep a value")
    cache.delete(key)


def check_queue() -> None:
    from huey.contrib.djhuey import HUEY

    storage = HUEY.storage
    conn = getattr(storage, "conn", None)
    if conn is not None and hasattr(conn, "ping"):
        conn.ping()
    else:
        HUEY.pending_count()


def check_storage() -> None:
    storage = storages["private"]
    if isinstance(storage, FileSystemStorage):
        location = storage.location
        os.makedirs(location, exist_ok=True)
        if not os.access(location, os.W_OK):
            raise PermissionError("the private file directory is not writable")
    elif hasattr(storage, "bucket_name") and hasattr(storage, "connection"):
        # S3: one request that needs the bucket to exist and the credentials to reach it.
        storage.connection.meta.client.head_bucket(Bucket=storage.bucket_name)
    else:
        storage.exists(".readyz")


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "queue": check_queue,
    "storage": check_storage,
}


def readiness() -> dict[str, str]:
    """{part: "ok" | "unavailable"} for every part."""
    results = {}
    for part, check in CHECKS.items():
        try:
            check()
        except Exception as exc:
            logger.warning(
                "readiness check failed", extra={"part": part, "error": type(exc).__name__}
            )
            results[part] = "unavailable"
        else:
            results[part] = "ok"
    return results


__all__ = ["CHECKS", "readiness"]
