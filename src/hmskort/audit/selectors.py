"""Reading the audit log, and the words for it."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _

from .labels import label_for
from .models import AuditEvent

ACTOR_LABELS = {
    "system": _("The system"),
    "staff": _("The card issuer"),
    "integrator": _("An integration"),
}


@dataclass(frozen=True)
class EventDescription:
    """An audit event in words: what happened and who did it."""

    label: str
    actor: str


def company_history(company: Model) -> QuerySet[AuditEvent]:
    """Every event recorded against a company, newest first."""
    return AuditEvent.objects.filter(company_id=company.pk).order_by("-at", "-id")


def object_history(obj: Model) -> QuerySet[AuditEvent]:
    """Every event recorded against one object (e.g. a card's lifecycle), newest first."""
    return AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).order_by("-at", "-id")


def describe(event: AuditEvent) -> EventDescription:
    """What the event was, in the active language, with the labels its owning app declared
    (the action's code when no app declared one), and who did it (a person by the name
    recorded; staff, the system or an integration by kind)."""
    label = label_for(event.action)
    if callable(label):
        text = str(label(event))
    elif label is not None:
        text = str(label)
    else:
        text = event.action
    if event.actor_kind == "person":
        actor = event.actor_label
    else:
        actor = str(ACTOR_LABELS.get(event.actor_kind, event.actor_kind))
    return EventDescription(label=text, actor=actor)
