"""Listeners to other apps' signals. Quick: they enqueue work, the huey task does it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from . import services, tasks


def on_card_validity_changed(sender: object, changes: Iterable[Any] = (), **kwargs: Any) -> None:
    if services.enqueue_validity_changes(changes=changes):
        transaction.on_commit(tasks.deliver_webhooks)
