"""Listeners to other apps' signals. Quick: they enqueue work, the huey task does it."""

from __future__ import annotations

from . import services


def on_card_validity_changed(sender, changes=(), **kwargs) -> None:
    services.enqueue_validity_changes(changes=changes)
