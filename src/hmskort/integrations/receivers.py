"""Listeners to other apps' signals. Quick: they enqueue work, the huey task does it."""

from __future__ import annotations

from django.db import transaction

from . import services, tasks


def on_card_validity_changed(sender, changes=(), **kwargs) -> None:
    if services.enqueue_validity_changes(changes=changes):
        transaction.on_commit(tasks.deliver_webhooks)
