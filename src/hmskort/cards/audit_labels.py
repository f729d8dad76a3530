"""The words for the audit actions the cards app records."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hmskort.audit.labels import register
from hmskort.audit.models import AuditEvent

from .models import CardState


def _validity_changed(event: AuditEvent) -> Promise:
    return _("Card valid") if event.data.get("valid") else _("Card not valid")


register(
    {
        "card.validity_changed": _validity_changed,
        # One action per lifecycle state the card moves to: the state's own name.
        **{f"card.{state.value}": state.label for state in CardState},
    }
)
