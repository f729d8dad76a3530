"""The human words for audit actions, declared by the app that owns each action.

Every app that records actions declares their labels in its own `audit_labels.py`, calling
`register({...})`; the audit app imports those modules when Django starts (AuditConfig.ready),
so the audit app itself knows no other app. A label is a (lazily translated) text, or a
function of the event for labels that depend on its data. `audit.selectors.describe(event)`
renders them for the portal and the back office.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.functional import Promise

Label = str | Promise | Callable[[Any], str | Promise]

_LABELS: dict[str, Label] = {}


def register(labels: Mapping[str, Label]) -> None:
    """Declare the labels of some actions (one app's). An action is declared by one app only."""
    for action, label in labels.items():
        if action in _LABELS and _LABELS[action] is not label:
            raise ValueError(f"audit action {action!r} is labelled twice")
        _LABELS[action] = label


def label_for(action: str) -> Label | None:
    return _LABELS.get(action)
