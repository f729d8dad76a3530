"""Ordering and the card's lifecycle: legal steps only, one active card per job, audit trail."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from hmskort.audit.models import AuditEvent
from hmskort.audit.services import Actor
from hmskort.cards import selectors, services
from hmskort.cards.models import Card, CardState, CardType
from tests.factories import SubUnitFactory, employed_person, registered_company

pytestmark = pytest.mark.django_db

STAFF = Actor.staff("issuer")


def order(company=None, person=None, **kwargs):
    company = company or registered_company()
    person = person or employed_person(company)
    actor = Actor.person(person.pk)
    return services.card_order(actor=actor, company=company, holder=person, **kwargs)


def issue(card):
    for state in (CardState.AWAITING_VERIFICATION, CardState.APPROVED, CardState.IN_PRODUCTION):
        services.card_transition(card=card, to_state=state, actor=STAFF)
    return services.card_issue(card=card, actor=STAFF)


@time_machine.travel(dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC), tick=False)
def test_an_ordered_card_is_not_valid_until_it_is_issued_and_then_valid_for_two_years():
    card = order()
    assert (card.valid, card.reasons, card.state) == (False, ["card_not_issued"], "ordered")

    card = issue(card)
    assert card.state == CardState.ISSUED
    assert card.issued_on == dt.date(2026, 3, 10)
    assert card.expires_on == dt.date(2028, 3, 10)
    assert (card.valid, card.reasons) == (True, [])
    actions = list(
        AuditEvent.objects.filter(object_id=str(card.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[0] == "card.ordered"
    assert "card.issued" in actions
    assert actions[-1] == "card.validity_changed"
    assert list(selectors.card_status_history(card).values_list("valid", flat=True)) == [
        True,
        False,
    ]


def test_an_order_for_a_sub_unit_puts_the_main_unit_on_the_card():
    company = registered_company()
    sub_unit = SubUnitFactory(parent=company)
    card = order(company=sub_unit, person=employed_person(sub_unit))
    assert card.company == company


def test_card_numbers_are_twelve_digits_unique_and_the_qr_token_is_separate():
    cards = [order() for _ in range(3)]
    numbers = {c.number for c in cards}
    assert len(numbers) == 3
    assert all(len(n) == 12 and n.isdigit() for n in numbers)
    assert all(c.qr_token and c.qr_token not in c.number for c in cards)


def test_an_illegal_transition_is_refused_and_changes_nothing():
    card = order()
    with pytest.raises(services.IllegalTransition):
        services.card_issue(card=card, actor=STAFF)
    with pytest.raises(services.IllegalTransition):
        services.card_report_lost(card=card, actor=STAFF)
    card.refresh_from_db()
    assert card.state == CardState.ORDERED
    assert card.issued_on is None


def test_a_lost_card_is_invalid_for_good():
    card = issue(order())
    services.card_report_lost(card=card, actor=STAFF)
    card.refresh_from_db()
    assert (card.valid, card.reasons) == (False, ["card_lost"])
    with pytest.raises(services.IllegalTransition):
        services.card_unblock(card=card, actor=STAFF)


def test_a_blocked_card_is_invalid_and_valid_again_when_unblocked():
    card = issue(order())
    services.card_block(card=card, actor=STAFF, reason="employer_request")
    card.refresh_from_db()
    assert card.reasons == ["card_blocked"]
    services.card_unblock(card=card, actor=STAFF)
    card.refresh_from_db()
    assert card.valid is True


def test_a_second_active_card_of_the_same_type_for_the_same_job_is_refused():
    card = order()
    with pytest.raises(ValidationError) as excinfo:
        order(company=card.company, person=card.holder)
    assert card.number in str(excinfo.value)
    assert Card.objects.filter(holder=card.holder).count() == 1


def test_a_worker_with_two_employers_gets_two_cards():
    first = order()
    second_company = registered_company()
    second = order(company=second_company, person=first.holder)
    cards = Card.objects.filter(holder=first.holder).order_by("pk")
    assert [(c.company_id, c.state) for c in cards] == [
        (first.company_id, CardState.ORDERED),
        (second_company.pk, CardState.ORDERED),
    ]
    assert second.number != first.number


# Issued on 29 February, a card expires on 28 February two years later (that year has no 29th),
# whatever the day the tests run: the clock is set to the day of issue (Oslo time).
@pytest.mark.parametrize(
    ("now", "issued_on", "expires_on"),
    [
        (
            dt.datetime(2028, 2, 29, 11, 0, tzinfo=dt.UTC),
            dt.date(2028, 2, 29),
            dt.date(2030, 2, 28),
        ),
        (
            dt.datetime(2027, 2, 28, 11, 0, tzinfo=dt.UTC),
            dt.date(2027, 2, 28),
            dt.date(2029, 2, 28),
        ),
        (dt.datetime(2026, 2, 28, 23, 30, tzinfo=dt.UTC), dt.date(2026, 3, 1), dt.date(2028, 3, 1)),
        (
            dt.datetime(2027, 12, 31, 22, 59, 59, tzinfo=dt.UTC),
            dt.date(2027, 12, 31),
            dt.date(2029, 12, 31),
        ),
    ],
)
def test_a_card_issued_on_29_february_expires_on_28_february_two_years_later(
    now, issued_on, expires_on
):
    with time_machine.travel(now, tick=False):
        card = issue(order())
        assert card.issued_on == issued_on
        assert card.expires_on == expires_on
        assert card.valid is True


def test_a_cleaning_company_may_only_order_cleaning_cards():
    cleaning = CardType.objects.get(code="cleaning")
    company = registered_company(card_type=cleaning)
    with pytest.raises(ValidationError) as excinfo:
        order(company=company, card_type=CardType.objects.get(code="construction"))
    assert "card_type" in excinfo.value.message_dict
    assert order(company=company).card_type == cleaning


def test_a_replacement_is_ordered_beside_the_old_card_which_is_retired_when_it_is_issued():
    old = issue(order())
    new = services.card_replace(card=old, actor=STAFF)
    assert new.replaces == old
    old.refresh_from_db()
    assert old.valid is True  # still usable until the new card arrives

    with pytest.raises(ValidationError):
        services.card_replace(card=old, actor=STAFF)

    issue(new)
    old.refresh_from_db()
    assert (old.state, old.valid, old.reasons) == ("replaced", False, ["card_replaced"])


def test_an_expired_card_does_not_stop_a_new_order():
    card = issue(order())
    Card.objects.filter(pk=card.pk).update(
        issued_on=timezone.localdate() - dt.timedelta(days=800),
        expires_on=timezone.localdate() - dt.timedelta(days=70),
    )
    assert order(company=card.company, person=card.holder).pk != card.pk


def test_a_company_s_cards_are_listed_for_its_main_unit_and_its_sub_units():
    card = order()
    assert list(selectors.cards_for_company(card.company)) == [card]
    assert list(selectors.cards_for_company(SubUnitFactory(parent=card.company))) == [card]
