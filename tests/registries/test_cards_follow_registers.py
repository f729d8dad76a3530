"""The promise to companies: a card's status follows the registers by itself, both ways."""

import datetime as dt

import pytest
from django.utils import timezone

from hmskort.cards.models import Card, CardStatusChange, CardType
from hmskort.cards.recompute import recompute_cards
from hmskort.registries import aareg, bemanning, brreg, renhold, sources
from hmskort.registries.models import CleaningApproval, FeedCursor, RegistryRun
from tests.factories import (
    CardFactory,
    CleaningApprovalFactory,
    StaffingApprovalFactory,
    employed_person,
    registered_company,
)

from .payloads import API, bemanning_json, feed_page, renhold_xml, unit, write_bulk

pytestmark = pytest.mark.django_db


def valid_card(company=None, **card_kwargs):
    company = company or registered_company()
    person = employed_person(company)
    card = CardFactory(company=company, holder=person, **card_kwargs)
    recompute_cards(card_ids=[card.pk], cause="test")
    card.refresh_from_db()
    assert (card.valid, card.reasons) == (True, [])
    return card


def state(card):
    card.refresh_from_db()
    return card.valid, card.reasons


def feed_change(brreg_api, orgnr, update_id, body, status=200):
    brreg_api.clear()
    brreg_api.expect_request(f"{API}/oppdateringer/enheter").respond_with_json(
        feed_page([(update_id, orgnr, "Endring")])
    )
    brreg_api.expect_request(f"{API}/enheter/{orgnr}").respond_with_json(body, status=status)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"konkurs": True}, "company_bankrupt"),
        ({"registrertIMvaregisteret": False}, "not_in_vat_register"),
        ({"slettedato": "2026-11-28"}, "company_deleted"),
        ({"underTvangsavviklingEllerTvangsopplosning": True}, "company_forcibly_dissolved"),
    ],
)
def test_a_card_turns_invalid_when_its_company_changes_in_the_feed_and_valid_when_it_returns(
    brreg_api, django_capture_on_commit_callbacks, change, reason
):
    card = valid_card()
    orgnr = card.company.orgnr
    FeedCursor.objects.create(feed="brreg:enheter", last_update_id=100)

    feed_change(brreg_api, orgnr, 101, unit(orgnr, card.company.name, **change))
    with django_capture_on_commit_callbacks(execute=True):
        run = brreg.sync_feed("enheter")
    assert run.status == RegistryRun.Status.OK
    assert run.companies_recomputed == 1
    assert state(card) == (False, [reason])
    last = CardStatusChange.objects.filter(card=card).first()
    assert last.cause == "registry:brreg"

    feed_change(brreg_api, orgnr, 102, unit(orgnr, card.company.name))
    with django_capture_on_commit_callbacks(execute=True):
        brreg.sync_feed("enheter")
    assert state(card) == (True, [])


def test_a_card_turns_invalid_when_its_company_is_removed_from_the_register(
    brreg_api, django_capture_on_commit_callbacks
):
    card = valid_card()
    FeedCursor.objects.create(feed="brreg:enheter", last_update_id=7)
    feed_change(brreg_api, card.company.orgnr, 8, {}, status=410)
    with django_capture_on_commit_callbacks(execute=True):
        brreg.sync_feed("enheter")
    assert state(card) == (False, ["company_not_found"])


def test_a_failing_register_leaves_every_card_as_it_was(
    brreg_api, django_capture_on_commit_callbacks
):
    card = valid_card()
    FeedCursor.objects.create(feed="brreg:enheter", last_update_id=7)
    feed_change(brreg_api, card.company.orgnr, 8, {"error": "oops"}, status=500)
    with django_capture_on_commit_callbacks(execute=True):
        run = brreg.sync_feed("enheter")
    assert run.status == RegistryRun.Status.FAILED
    assert state(card) == (True, [])


def test_the_bulk_file_moves_only_the_cards_of_companies_whose_facts_changed(
    tmp_path, django_capture_on_commit_callbacks
):
    bankrupt, unchanged = valid_card(), valid_card()
    path = write_bulk(
        tmp_path / "enheter.json.gz",
        [
            unit(bankrupt.company.orgnr, bankrupt.company.name, konkurs=True, naeringskode1=None),
            unit(unchanged.company.orgnr, unchanged.company.name, naeringskode1=None),
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = brreg.import_bulk(path)
    assert run.status == RegistryRun.Status.OK
    assert run.companies_recomputed == 1
    assert state(bankrupt) == (False, ["company_bankrupt"])
    assert state(unchanged) == (True, [])


def test_a_held_mass_change_moves_no_card_until_staff_approve_it(
    tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.HMSKORT_REGISTRY_MASS_CHANGE_MIN = 1
    cards = [valid_card() for _ in range(3)]
    path = write_bulk(
        tmp_path / "enheter.json.gz",
        [unit(c.company.orgnr, c.company.name, registrertIMvaregisteret=False) for c in cards],
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = brreg.import_bulk(path)
    assert run.status == RegistryRun.Status.HELD
    assert all(state(c) == (True, []) for c in cards)

    with django_capture_on_commit_callbacks(execute=True):
        sources.approve_run(run_id=run.pk, staff_username="saksbehandler")
    assert all(state(c) == (False, ["not_in_vat_register"]) for c in cards)


def test_a_cleaning_company_whose_approval_is_withdrawn_loses_its_cards_validity(
    tmp_path, django_capture_on_commit_callbacks
):
    cleaning = CardType.objects.get(code="cleaning")
    company = registered_company(card_type=cleaning)
    CleaningApprovalFactory(
        orgnr=company.orgnr, status=CleaningApproval.Status.APPROVED_WITH_EMPLOYEES
    )
    card = valid_card(company, card_type=cleaning)
    path = tmp_path / "renhold.xml"

    path.write_bytes(renhold_xml([(company.orgnr, company.name, "Ikke godkjent")]))
    with django_capture_on_commit_callbacks(execute=True):
        renhold.sync(path=path)
    assert state(card) == (False, ["cleaning_not_approved"])

    path.write_bytes(renhold_xml([(company.orgnr, company.name, "Godkjent uten ansatte")]))
    with django_capture_on_commit_callbacks(execute=True):
        renhold.sync(path=path)
    assert state(card) == (True, [])


def test_a_staffing_agency_without_approval_loses_its_cards_validity(
    tmp_path, django_capture_on_commit_callbacks
):
    company = registered_company(is_staffing_agency=True)
    StaffingApprovalFactory(orgnr=company.orgnr)
    card = valid_card(company)
    path = tmp_path / "bemanning.json"

    path.write_bytes(bemanning_json([(company.orgnr, company.name, "Ikke godkjent")]))
    with django_capture_on_commit_callbacks(execute=True):
        bemanning.sync(path=path)
    assert state(card) == (False, ["staffing_not_approved"])

    path.write_bytes(bemanning_json([(company.orgnr, company.name, "Lovlig - godkjent")]))
    with django_capture_on_commit_callbacks(execute=True):
        bemanning.sync(path=path)
    assert state(card) == (True, [])


def test_a_company_that_turns_out_to_be_a_staffing_agency_needs_approval(
    tmp_path, django_capture_on_commit_callbacks
):
    card = valid_card()
    path = tmp_path / "bemanning.json"
    path.write_bytes(bemanning_json([(card.company.orgnr, card.company.name, "Ikke godkjent")]))
    with django_capture_on_commit_callbacks(execute=True):
        bemanning.sync(path=path)
    assert state(card) == (False, ["staffing_not_approved"])


def test_an_employment_ended_in_aa_registeret_ends_the_card_s_validity(
    tmp_path, django_capture_on_commit_callbacks
):
    card = valid_card()
    employment = card.holder.employments.get()
    ended = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    path = tmp_path / "aareg.csv"
    path.write_text(
        f"{card.company.orgnr},{card.holder.national_id},{employment.starts_on.isoformat()},{ended}\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = aareg.import_employments(aareg.CsvEmploymentFile(path))
    assert run.status == RegistryRun.Status.OK
    assert state(card) == (False, ["employment_ended"])
    assert Card.objects.filter(valid=False).count() == 1
