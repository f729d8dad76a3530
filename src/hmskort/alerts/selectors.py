"""Reads for the alert e-mails: who gets them, what they turned off, and which of a company's
cards a digest lists. Every read of cards is limited to one company's own cards."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import OuterRef, Q, Subquery

from hmskort.cards.models import Card, CardState, CardStatusChange
from hmskort.companies.models import Company
from hmskort.companies.selectors import main_units_with_access
from hmskort.people.models import Person

from .models import AlertContact, AlertPreference, Kind

EXPIRY_THRESHOLDS = (60, 30)
# States in which a card that turned invalid is worth an alert: issued and after, not final.
ALERT_STATES = (CardState.ISSUED, CardState.BLOCKED, CardState.LOST, CardState.STOLEN)
# Cards that stand in for an expiring card (a renewal already on its way or issued).
LIVE_STATES = (
    CardState.ORDERED,
    CardState.AWAITING_DOCUMENTS,
    CardState.AWAITING_VERIFICATION,
    CardState.APPROVED,
    CardState.IN_PRODUCTION,
    CardState.ISSUED,
)


@dataclass(frozen=True)
class Choice:
    """What a person wants from one company: the daily list of cards no longer valid, and the
    mails about cards expiring within 60 and 30 days."""

    invalid_digest: bool = True
    expiry: bool = True

    def wants(self, kind: str) -> bool:
        return self.invalid_digest if kind == Kind.INVALID else self.expiry


def contact_for(person: Person) -> AlertContact | None:
    return AlertContact.objects.filter(person=person).first()


def choice_for(person: Person, company: Company) -> Choice:
    row = AlertPreference.objects.filter(person=person, company=company.main_unit).first()
    if row is None:
        return Choice()
    return Choice(invalid_digest=row.invalid_digest, expiry=row.expiry)


@dataclass(frozen=True)
class Recipient:
    person_id: int
    name: str
    email: str
    language: str
    choice: Choice


def recipients(*, today: dt.date | None = None) -> dict[int, list[Recipient]]:
    """For each main unit, the people who get its alerts: people who gave an e-mail address for
    alerts, who have ordering access to it today, and who have not turned both kinds off.
    A fixed number of queries, however many people and companies."""
    contacts = list(AlertContact.objects.select_related("person").exclude(email=""))
    if not contacts:
        return {}
    access = main_units_with_access([c.person.national_id for c in contacts], today=today)
    choices = {
        (p.person_id, p.company_id): Choice(invalid_digest=p.invalid_digest, expiry=p.expiry)
        for p in AlertPreference.objects.filter(person_id__in=[c.person_id for c in contacts])
    }
    found: dict[int, list[Recipient]] = {}
    for contact in contacts:
        for company_id in sorted(access.get(contact.person.national_id, ())):
            choice = choices.get((contact.person_id, company_id), Choice())
            if not (choice.invalid_digest or choice.expiry):
                continue
            found.setdefault(company_id, []).append(
                Recipient(
                    person_id=contact.person_id,
                    name=contact.person.full_name,
                    email=contact.email,
                    language=contact.language if contact.language in ("nb", "en") else "nb",
                    choice=choice,
                )
            )
    return found


def cards_turned_invalid(
    company: Company, *, since: dt.datetime, until: dt.datetime
) -> list[tuple[int, dt.datetime]]:
    """The company's cards that went from valid to not valid in (since, until] and are still
    not valid now: (card id, when), oldest first. One query."""
    before = CardStatusChange.objects.filter(card=OuterRef("card"), at__lt=OuterRef("at")).order_by(
        "-at", "-pk"
    )
    changes = (
        CardStatusChange.objects.filter(
            card__company=company.main_unit,
            card__valid=False,
            card__state__in=ALERT_STATES,
            at__gt=since,
            at__lte=until,
            valid=False,
        )
        .annotate(was_valid=Subquery(before.values("valid")[:1]))
        .filter(Q(was_valid=True) | Q(was_valid__isnull=True))
        .order_by("at", "pk")
        .values_list("card_id", "at")
    )
    first: dict[int, dt.datetime] = {}
    for card_id, at in changes:
        first.setdefault(card_id, at)
    return list(first.items())


def cards_reaching_expiry(company: Company, *, today: dt.date) -> list[tuple[int, int]]:
    """The company's valid issued cards that expire within 60 or 30 days and have not been
    announced for that threshold: (card id, threshold), soonest first. A card already renewed
    (a newer card ordered or issued in its place) is left out."""
    from .models import ExpiryNotice

    last = today + dt.timedelta(days=max(EXPIRY_THRESHOLDS))
    rows = (
        Card.objects.filter(
            company=company.main_unit,
            state=CardState.ISSUED,
            valid=True,
            expires_on__gt=today,
            expires_on__lte=last,
        )
        .exclude(replaced_by__state__in=LIVE_STATES)
        .order_by("expires_on", "pk")
        .values_list("pk", "expires_on")
    )
    announced = set(
        ExpiryNotice.objects.filter(card__company=company.main_unit, card__expires_on__gt=today)
        .filter(card__expires_on__lte=last)
        .values_list("card_id", "threshold")
    )
    found = []
    for card_id, expires_on in rows:
        if expires_on is None:
            continue
        threshold = min(t for t in EXPIRY_THRESHOLDS if expires_on <= today + dt.timedelta(days=t))
        if (card_id, threshold) not in announced:
            found.append((card_id, threshold))
    return found


def cards_for_digest(company: Company, card_ids: list[int]) -> dict[int, Card]:
    """The listed cards, only if they are the company's own (one query)."""
    cards = Card.objects.filter(company=company.main_unit, pk__in=card_ids).select_related(
        "holder", "card_type"
    )
    return {card.pk: card for card in cards}
