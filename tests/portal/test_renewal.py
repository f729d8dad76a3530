"""Renewal in one step: from the employees' overview or the expiry e-mail, choose the cards
that expire within 60 days, a delivery address, see the summary with price and VAT, and place
one order: a new card for the same person and card type in place of each old card."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from hmskort.cards.models import Card, CardState
from hmskort.orders.models import Order, OrderLine
from hmskort.orders.services import OrderRefused
from tests.factories import CardFactory, EmploymentFactory, PersonFactory
from tests.orders.conftest import key, renew_cards

pytestmark = pytest.mark.django_db

# The orderer's e-mail address and language, asked on the summary.
CONTACT = {"orderer_email": "siri@acme.example", "orderer_language": "nb"}


def _url(name, company, *args):
    return reverse(f"portal:{name}", args=[company.orgnr, *args])


def expiring(world, given, days):
    person = PersonFactory(given_name=given, family_name="Fornyes")
    EmploymentFactory(person=person, employer=world.company)
    return CardFactory(
        holder=person,
        company=world.company,
        expires_on=timezone.localdate() + dt.timedelta(days=days),
    )


def test_the_overview_offers_renewal_for_a_card_expiring_within_60_days(world, log_in_as):
    soon = expiring(world, "Eli", 40)
    expiring(world, "Vera", 300)
    page = log_in_as(world.manager).get(_url("employees", world.company)).content.decode()

    assert f"{_url('renew', world.company)}?card={soon.number}" in page
    assert page.count("?card=") == 1


def test_renewing_several_cards_makes_one_order_with_a_line_for_each(world, log_in_as):
    eli, nils = expiring(world, "Eli", 40), expiring(world, "Nils", 10)
    later = expiring(world, "Vera", 300)
    client = log_in_as(world.manager)

    form = client.get(_url("renew", world.company) + f"?card={eli.number}")
    text = form.content.decode()
    assert "Eli Fornyes" in text and "Nils Fornyes" in text and "Vera Fornyes" not in text
    assert form.context["form"].initial["cards"] == [eli.pk]

    chosen = client.post(
        _url("renew", world.company),
        {
            "cards": [eli.pk, nils.pk],
            "delivery_address": world.address.pk,
            "key": form.context["form"].initial["key"],
        },
    )
    assert chosen["Location"] == _url("order_review", world.company)
    summary = client.get(chosen["Location"])
    body = summary.content.decode()
    assert "208,00" in body and "52,00" in body and "260,00" in body and "MVA 25" in body
    assert f"Fornyer kort {eli.number[:4]}" in body

    placed = client.post(
        _url("order_review", world.company), {"key": summary.context["key"], **CONTACT}
    )

    order = Order.objects.get()
    assert placed["Location"] == _url("order", world.company, order.pk)
    assert order.kind == "renewal" and order.card_type.code == "construction"
    lines = {line.holder_id: line for line in OrderLine.objects.filter(order=order)}
    assert set(lines) == {eli.holder_id, nils.holder_id}
    for old in (eli, nils):
        new = lines[old.holder_id].card
        assert new.replaces_id == old.pk and new.card_type_id == old.card_type_id
        assert new.state == CardState.AWAITING_DOCUMENTS
        old.refresh_from_db()
        assert old.state == CardState.ISSUED and old.valid  # valid until the new one is sent
    assert not Card.objects.filter(replaces=later).exists()


def test_submitting_the_renewal_summary_twice_makes_one_order(world, log_in_as):
    eli = expiring(world, "Eli", 40)
    client = log_in_as(world.manager)
    client.post(
        _url("renew", world.company),
        {"cards": [eli.pk], "delivery_address": world.address.pk, "key": key()},
    )
    form_key = client.get(_url("order_review", world.company)).context["key"]

    first = client.post(_url("order_review", world.company), {"key": form_key, **CONTACT})
    second = client.post(_url("order_review", world.company), {"key": form_key, **CONTACT})

    assert first["Location"] == second["Location"]
    assert Order.objects.count() == 1
    assert Card.objects.filter(replaces=eli).count() == 1


def test_a_renewed_card_is_not_offered_again_and_cannot_be_renewed_twice(world, log_in_as):
    eli = expiring(world, "Eli", 40)
    renew_cards(world, [eli.pk])
    page = log_in_as(world.manager).get(_url("renew", world.company)).content.decode()
    assert "Eli Fornyes" not in page

    with pytest.raises(OrderRefused):
        renew_cards(world, [eli.pk])
    assert Order.objects.count() == 1


def test_a_card_far_from_expiry_cannot_be_renewed_and_nothing_is_saved(world):
    vera = expiring(world, "Vera", 300)
    eli = expiring(world, "Eli", 40)

    with pytest.raises(OrderRefused) as refused:
        renew_cards(world, [eli.pk, vera.pk])

    assert "kan ikke fornyes" in " ".join(refused.value.messages)
    assert Order.objects.count() == 0
    assert Card.objects.filter(replaces__isnull=False).count() == 0


def test_another_companys_card_cannot_be_renewed(world):
    from tests.factories import CompanyFactory

    theirs = CardFactory(
        company=CompanyFactory(), expires_on=timezone.localdate() + dt.timedelta(days=20)
    )

    with pytest.raises(OrderRefused):
        renew_cards(world, [theirs.pk])
    assert Order.objects.count() == 0


def test_the_renew_page_asks_for_a_card_and_an_address(world, log_in_as):
    expiring(world, "Eli", 40)
    client = log_in_as(world.manager)

    response = client.post(_url("renew", world.company), {"key": key()})

    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="error-summary"' in body
    assert "Velg minst ett kort å fornye." in body and "Velg en leveringsadresse." in body
    assert Order.objects.count() == 0


def test_someone_without_access_cannot_open_renewal(world, log_in_as):
    expiring(world, "Eli", 40)
    assert log_in_as(world.outsider).get(_url("renew", world.company)).status_code == 404
