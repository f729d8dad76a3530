"""Support finds cards, persons and companies, acts on cards, and records VAT exemptions."""

from __future__ import annotations

import pytest

from hmskort.audit.models import AuditEvent
from hmskort.cards.models import CardState
from hmskort.cards.numbers import format_card_number
from tests.factories import CardFactory, registered_company

pytestmark = pytest.mark.django_db


@pytest.fixture
def support(staff_client):
    return staff_client("support", "stine")


def test_support_finds_a_card_by_number_name_national_id_and_orgnr(support):
    card = CardFactory(holder__given_name="Kari", holder__family_name="Nordmann")
    other = CardFactory(holder__given_name="Ola", holder__family_name="Hansen")

    for query in (
        format_card_number(card.number),
        "kari nord",
        card.holder.national_id,
        card.company.orgnr,
    ):
        page = support.get("/kontor/brukerstotte/", {"q": query}).content.decode()
        assert format_card_number(card.number) in page, query
        assert format_card_number(other.number) not in page, query
    # The national ID number is shown masked.
    page = support.get("/kontor/brukerstotte/", {"q": "Kari"}).content.decode()
    assert card.holder.national_id not in page


def test_support_finds_a_company_by_name(support):
    company = registered_company(name="Fjellbygg Østfold AS")

    page = support.get("/kontor/brukerstotte/", {"q": "fjellbygg"}).content.decode()

    assert "Fjellbygg Østfold AS" in page
    assert f"/kontor/virksomheter/{company.orgnr}/" in page


def test_support_reports_a_card_lost_and_the_card_turns_invalid_with_the_reason(support):
    card = CardFactory()

    response = support.post(f"/kontor/kort/{card.pk}/lost/", follow=True)

    card.refresh_from_db()
    assert card.state == CardState.LOST
    assert not card.valid
    page = response.content.decode()
    assert "Meldt tapt" in page
    assert AuditEvent.objects.filter(
        action="card.lost", object_id=str(card.pk), actor_kind="staff", actor_ref="stine"
    ).exists()


def test_support_blocks_and_unblocks_a_card(support):
    card = CardFactory()

    support.post(f"/kontor/kort/{card.pk}/block/", {"reason": "employer_request"})
    card.refresh_from_db()
    assert card.state == CardState.BLOCKED
    support.post(f"/kontor/kort/{card.pk}/unblock/")

    card.refresh_from_db()
    assert card.state == CardState.ISSUED


def test_an_action_the_card_cannot_take_is_refused_with_a_message_and_changes_nothing(support):
    card = CardFactory(state=CardState.TERMINATED)

    response = support.post(f"/kontor/kort/{card.pk}/lost/", follow=True)

    card.refresh_from_db()
    assert card.state == CardState.TERMINATED
    assert "kan ikke få status" in response.content.decode()


def test_a_verifier_sees_a_card_but_no_actions(staff_client):
    card = CardFactory()
    client = staff_client("verifier")

    page = client.get(f"/kontor/kort/{card.pk}/").content.decode()

    assert format_card_number(card.number) in page
    assert "Meld tapt" not in page


def test_support_records_a_vat_exemption_and_the_cards_follow(
    support, django_capture_on_commit_callbacks
):
    from hmskort.cards.recompute import recompute_cards
    from hmskort.registries.models import BrregUnit

    company = registered_company(name="Utenlandsk Bygg NUF")
    BrregUnit.objects.filter(orgnr=company.orgnr).update(registered_in_vat=False)
    card = CardFactory(company=company)
    recompute_cards(card_ids=[card.pk], cause="test")
    card.refresh_from_db()
    assert "not_in_vat_register" in card.reasons

    with django_capture_on_commit_callbacks(execute=True):
        response = support.post(
            f"/kontor/virksomheter/{company.orgnr}/",
            {"exempt": "on", "note": "Utenlandsk virksomhet uten omsetning i Norge"},
            follow=True,
        )

    assert "Lagret." in response.content.decode()
    company.refresh_from_db()
    assert company.vat_exempt
    assert AuditEvent.objects.filter(action="company.vat_exemption_recorded").exists()
    card.refresh_from_db()
    assert "not_in_vat_register" not in card.reasons


def test_an_exemption_without_a_reason_is_refused_with_a_summary_and_nothing_is_saved(support):
    company = registered_company()

    response = support.post(f"/kontor/virksomheter/{company.orgnr}/", {"exempt": "on"})

    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="error-summary"' in page
    assert "Skriv hvorfor virksomheten har unntak." in page
    company.refresh_from_db()
    assert not company.vat_exempt
