"""Send the card check's reads to a read replica when one is configured; all else to the primary.

The check (the public page, the QR landing, the API's card lookups) is most of the traffic and
only reads: a replica (DATABASE_REPLICA_URL, e.g. a PostgreSQL streaming replica) takes it off
the primary. Which requests are "the check" is named in settings.HMSKORT_REPLICA_VIEWS (URL
names); `CheckReplicaMiddleware` marks such a request, and `CheckReplicaRouter` routes reads of
the card, person and company tables of a marked request to "replica". Everything else — every
write, every read outside the check, API keys and subscriptions, and any read inside a
transaction on the primary — goes to "default". A replica may lag by a moment: the check then
shows the state of a moment ago, which is what a check is anyway.
"""

import contextvars
from collections.abc import Callable

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
_check_request = contextvars.ContextVar("hmskort_check_request", default=False)
# The tables the check reads (cards with their holder and employer). API keys, subscriptions
# and the like stay on the primary: a revoked key must stop working at once.
REPLICA_APPS = frozenset({"cards", "people", "companies"})


def replica_enabled() -> bool:
    return bool(getattr(settings, "HMSKORT_READ_REPLICA", False)) and REPLICA in settings.DATABASES


class CheckReplicaRouter:
    def db_for_read(self, model, **hints):
        if (
            _check_request.get()
            and model._meta.app_label in REPLICA_APPS
            and replica_enabled()
            and not connections["default"].in_atomic_block
        ):
            return REPLICA
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the primary's rows: relations between them are the same

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return None  # the replica gets its schema by replication; migrate runs on the primary


class CheckReplicaMiddleware:
    """Marks the requests of the check's views so that their reads may go to the replica."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _check_request.set(False)
        try:
            return self.get_response(request)
        finally:
            _check_request.reset(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is not None and match.view_name in settings.HMSKORT_REPLICA_VIEWS:
            _check_request.set(True)
        return None
