"""The card's lifecycle: ordering, the legal transitions (TRANSITIONS), issuing, replacing.

Every service here changes one card (or a card and its predecessor), writes its AuditEvent in
the same transaction and refreshes that card's validity synchronously through the recompute
engine (`cards.recompute`), so the caller sees the new validity at once. Validity changes that
come from facts in other apps go through `cards.jobs` instead.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hmskort.audit.services import Actor, record
from hmskort.companies.models import Company
from hmskort.people.models import Person

from . import checkcache
from .models import Card, CardState, CardType
from .numbers import new_card_number, new_qr_token
from .recompute import refresh_cards
from .rules import PRE_ISSUE_STATES
from .selectors import live_replacements

__all__ = [
    "ACTIVE_STATES",
    "PRE_ISSUE_STATES",
    "TRANSITIONS",
    "IllegalTransition",
    "card_block",
    "card_issue",
    "card_order",
    "card_reject",
    "card_replace",
    "card_report_lost",
    "card_report_stolen",
    "card_terminate",
    "card_transition",
    "card_unblock",
]

S = CardState

# Legal lifecycle transitions. Anything else is refused.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.ORDERED: frozenset({S.AWAITING_DOCUMENTS, S.AWAITING_VERIFICATION, S.REJECTED, S.TERMINATED}),
    S.AWAITING_DOCUMENTS: frozenset({S.AWAITING_VERIFICATION, S.REJECTED, S.TERMINATED}),
    S.AWAITING_VERIFICATION: frozenset(
        {S.APPROVED, S.AWAITING_DOCUMENTS, S.REJECTED, S.TERMINATED}
    ),
    S.APPROVED: frozenset({S.IN_PRODUCTION, S.REJECTED, S.TERMINATED}),
    S.IN_PRODUCTION: frozenset({S.ISSUED, S.TERMINATED}),
    S.ISSUED: frozenset({S.LOST, S.STOLEN, S.BLOCKED, S.TERMINATED, S.REPLACED}),
    S.BLOCKED: frozenset({S.ISSUED, S.LOST, S.STOLEN, S.TERMINATED, S.REPLACED}),
    S.LOST: frozenset(),
    S.STOLEN: frozenset(),
    S.TERMINATED: frozenset(),
    S.REPLACED: frozenset(),
    S.REJECTED: frozenset(),
}

# A card in one of these states counts against "one active card per type, person and employer".
ACTIVE_STATES = frozenset({*PRE_ISSUE_STATES, S.ISSUED, S.BLOCKED})

BLOCK_REASONS = ("employment_ended", "employer_request", "issuer_decision")


class IllegalTransition(ValidationError):
    """The card cannot go from its state to the requested one."""


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def expiry_for(issued_on: dt.date) -> dt.date:
    """The first day a card issued on `issued_on` is no longer valid (two years later)."""
    return _add_years(issued_on, settings.HMSKORT_CARD_VALIDITY_YEARS)


# --- Ordering and the lifecycle ----------------------------------------------------------------


def _refresh_validity(card: Card, cause: str) -> None:
    refresh_cards([card.pk], cause=cause)
    card.refresh_from_db(fields=["valid", "reasons", "validity_changed_at"])


def active_card_for(*, holder: Person, company: Company, card_type: CardType) -> Card | None:
    """The holder's card of this type for this employer that still counts as active, if any.

    An issued card that has expired no longer counts: ordering a new one is a renewal.
    """
    today = timezone.localdate()
    return (
        Card.objects.filter(
            holder=holder, company=company, card_type=card_type, state__in=ACTIVE_STATES
        )
        .exclude(state__in=(S.ISSUED, S.BLOCKED), expires_on__lte=today)
        .order_by("-pk")
        .first()
    )


def _create_card(**fields: Any) -> Card:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Card.objects.create(
                    number=new_card_number(), qr_token=new_qr_token(), **fields
                )
        except IntegrityError:
            # A random number or token collided with an existing card: draw again.
            continue
    raise RuntimeError("could not draw a unique card number")


@transaction.atomic
def card_order(
    *,
    actor: Actor,
    company: Company,
    holder: Person,
    card_type: CardType | None = None,
    replaces: Card | None = None,
) -> Card:
    """Order a card for `holder` employed by `company` (a sub-unit stands for its main unit)."""
    company = company.main_unit
    card_type = card_type or company.card_type or CardType.objects.get(code="construction")
    if company.card_type is not None and company.card_type_id != card_type.pk:
        raise ValidationError(
            {
                "card_type": _("%(company)s may only order %(card_type)s.")
                % {"company": company.name, "card_type": company.card_type.name()}
            }
        )
    # Serialise orders for the same person, so a double submit cannot create two cards.
    Person.objects.select_for_update().filter(pk=holder.pk).first()
    existing = active_card_for(holder=holder, company=company, card_type=card_type)
    if existing is not None and existing != replaces:
        raise ValidationError(
            _(
                "%(name)s already has an active %(card_type)s from %(company)s (card %(number)s). "
                "To get a new one, replace that card."
            )
            % {
                "name": holder.full_name,
                "card_type": card_type.name(),
                "company": company.name,
                "number": existing.number,
            },
            code="duplicate_card",
        )
    card = _create_card(
        card_type=card_type, holder=holder, company=company, state=S.ORDERED, replaces=replaces
    )
    record(
        actor=actor,
        action="card.ordered",
        target=card,
        company=company,
        data={"card_type": card_type.code, "replaces": replaces.pk if replaces else None},
    )
    _refresh_validity(card, "card.ordered")
    return card


@transaction.atomic
def card_transition(*, card: Card, to_state: str, actor: Actor, note: str = "") -> Card:
    """Move a card to another lifecycle state; illegal transitions are refused."""
    card = Card.objects.select_for_update().get(pk=card.pk)
    from_state = card.state
    if to_state not in TRANSITIONS.get(from_state, frozenset()):
        raise IllegalTransition(
            _("A card that is %(from)s cannot become %(to)s.")
            % {
                "from": str(S(from_state).label).lower(),
                "to": str(S(to_state).label).lower() if to_state in S.values else to_state,
            },
            code="illegal_transition",
        )
    card.state = to_state
    update = ["state", "updated_at"]
    if to_state == S.ISSUED and card.issued_on is None:
        card.issued_on = timezone.localdate()
        card.expires_on = expiry_for(card.issued_on)
        update += ["issued_on", "expires_on"]
    card.save(update_fields=update)
    data: dict[str, Any] = {"from": from_state, "to": to_state}
    if note:
        data["note"] = note[:500]
    record(actor=actor, action=f"card.{to_state}", target=card, company=card.company, data=data)
    _refresh_validity(card, f"card.{to_state}")
    # The check shows the state: its cached answer goes once this commits, valid or not.
    checkcache.forget_on_commit([card.number])
    return card


@transaction.atomic
def card_issue(*, card: Card, actor: Actor, issued_on: dt.date | None = None) -> Card:
    """Ship the card: valid from here for two years. A replaced predecessor is retired."""
    card = Card.objects.select_for_update().get(pk=card.pk)
    if card.state == S.IN_PRODUCTION:
        card.issued_on = issued_on or timezone.localdate()
        card.expires_on = expiry_for(card.issued_on)
        card.save(update_fields=["issued_on", "expires_on", "updated_at"])
    card = card_transition(card=card, to_state=S.ISSUED, actor=actor)
    if card.replaces_id:
        old = Card.objects.select_for_update().get(pk=card.replaces_id)
        if S.REPLACED in TRANSITIONS[old.state]:
            card_transition(card=old, to_state=S.REPLACED, actor=actor, note=card.number)
    return card


def card_report_lost(*, card: Card, actor: Actor) -> Card:
    return card_transition(card=card, to_state=S.LOST, actor=actor)


def card_report_stolen(*, card: Card, actor: Actor) -> Card:
    return card_transition(card=card, to_state=S.STOLEN, actor=actor)


def card_block(*, card: Card, actor: Actor, reason: str = "employer_request") -> Card:
    """Block a card (employment ended, the employer's request, the issuer's decision)."""
    if reason not in BLOCK_REASONS:
        raise ValidationError({"reason": _("Unknown reason for blocking.")})
    return card_transition(card=card, to_state=S.BLOCKED, actor=actor, note=reason)


def card_unblock(*, card: Card, actor: Actor) -> Card:
    return card_transition(card=card, to_state=S.ISSUED, actor=actor)


def card_terminate(*, card: Card, actor: Actor, note: str = "") -> Card:
    return card_transition(card=card, to_state=S.TERMINATED, actor=actor, note=note)


def card_reject(*, card: Card, actor: Actor, note: str = "") -> Card:
    return card_transition(card=card, to_state=S.REJECTED, actor=actor, note=note)


@transaction.atomic
def card_replace(*, card: Card, actor: Actor) -> Card:
    """Order a new card in place of `card` (lost, stolen, damaged, blocked or expiring).

    The old card stays as it is (a lost card stays lost) until the new one is issued; then an
    issued or blocked old card becomes `replaced`. One live replacement at a time: once a
    replacement is cancelled or refused, the card can be replaced again.
    """
    card = Card.objects.select_for_update().get(pk=card.pk)
    if card.state not in (S.ISSUED, S.BLOCKED, S.LOST, S.STOLEN):
        raise IllegalTransition(
            _("Only an issued, blocked, lost or stolen card can be replaced."),
            code="illegal_transition",
        )
    if live_replacements().filter(replaces=card).exists():
        raise ValidationError(
            _("A replacement for card %(number)s has already been ordered.")
            % {"number": card.number},
            code="duplicate_card",
        )
    return card_order(
        actor=actor,
        company=card.company,
        holder=card.holder,
        card_type=card.card_type,
        replaces=card,
    )
