"""Card validity follows the facts: registers, employments, the lifecycle, time."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from hmskort.audit.models import AuditEvent
from hmskort.audit.services import Actor
from hmskort.cards import recompute, services, tasks
from hmskort.cards.models import Card, CardStatusChange, CardType
from hmskort.cards.signals import CardValidityChange, card_validity_changed
from hmskort.companies.models import Role
from hmskort.people.models import Employment
from hmskort.registries.models import BrregUnit, CleaningApproval
from tests.factories import (
    BrregUnitFactory,
    CardFactory,
    CleaningApprovalFactory,
    EmploymentFactory,
    PersonFactory,
    StaffingApprovalFactory,
    SubUnitFactory,
    employed_person,
    registered_company,
)

pytestmark = pytest.mark.django_db

STAFF = Actor.staff("issuer")


def issued_card(company=None, person=None, **kwargs):
    company = company or registered_company()
    person = person or employed_person(company)
    card = CardFactory(company=company, holder=person, valid=False, reasons=["card_not_issued"])
    recompute.recompute_cards(card_ids=[card.pk], cause="test")
    card.refresh_from_db()
    return card


@pytest.fixture
def received():
    changes = []

    def receiver(sender, changes_=None, **kwargs):
        changes.extend(kwargs["changes"])

    card_validity_changed.connect(receiver, dispatch_uid="test-received")
    yield changes
    card_validity_changed.disconnect(dispatch_uid="test-received")


def test_a_card_whose_company_and_worker_meet_every_duty_is_valid():
    card = issued_card()
    assert card.valid is True
    assert card.reasons == []


def test_card_turns_invalid_when_the_company_goes_bankrupt_and_valid_again_when_lifted():
    card = issued_card()
    BrregUnit.objects.filter(orgnr=card.company.orgnr).update(bankrupt=True)

    assert recompute.recompute_cards(orgnrs=[card.company.orgnr], cause="brreg") == 1
    card.refresh_from_db()
    assert (card.valid, card.reasons) == (False, ["company_bankrupt"])

    BrregUnit.objects.filter(orgnr=card.company.orgnr).update(bankrupt=False)
    recompute.recompute_cards(orgnrs=[card.company.orgnr], cause="brreg")
    card.refresh_from_db()
    assert (card.valid, card.reasons) == (True, [])
    history = list(CardStatusChange.objects.filter(card=card).order_by("at", "pk"))
    assert [(h.valid, h.reasons, h.cause) for h in history[-2:]] == [
        (False, ["company_bankrupt"], "brreg"),
        (True, [], "brreg"),
    ]


def test_a_change_on_a_sub_unit_recomputes_the_main_units_cards():
    card = issued_card()
    sub_unit = SubUnitFactory(parent=card.company)
    BrregUnit.objects.filter(orgnr=card.company.orgnr).update(registered_in_vat=False)

    assert recompute.recompute_cards(orgnrs=[sub_unit.orgnr], cause="brreg") == 1
    card.refresh_from_db()
    assert card.reasons == ["not_in_vat_register"]


def test_a_vat_exemption_recorded_by_the_issuer_keeps_the_card_valid():
    card = issued_card()
    BrregUnit.objects.filter(orgnr=card.company.orgnr).update(registered_in_vat=False)
    card.company.vat_exempt = True
    card.company.save()
    recompute.recompute_cards(company_ids=[card.company.pk], cause="exemption")
    card.refresh_from_db()
    assert card.valid is True


def test_an_employment_under_a_sub_unit_counts_for_the_main_units_card():
    company = registered_company()
    sub_unit = SubUnitFactory(parent=company)
    card = issued_card(company=company, person=employed_person(sub_unit))
    assert card.valid is True


def test_card_turns_invalid_when_the_employment_ends_and_reports_a_missing_one():
    company = registered_company()
    person = PersonFactory()
    card = issued_card(company=company, person=person)
    assert card.reasons == ["employment_not_reported"]

    EmploymentFactory(
        person=person, employer=company, ends_on=timezone.localdate() - dt.timedelta(days=1)
    )
    recompute.recompute_cards(person_ids=[person.pk], cause="aareg")
    card.refresh_from_db()
    assert card.reasons == ["employment_ended"]


def test_a_foreign_assignment_report_stands_in_for_aa_registeret():
    company = registered_company(is_foreign=True, organisation_form="NUF")
    person = PersonFactory()
    EmploymentFactory(person=person, employer=company, source=Employment.Source.FOREIGN)
    assert issued_card(company=company, person=person).valid is True


def test_the_owner_of_a_sole_proprietorship_needs_no_employment():
    company = registered_company(organisation_form="ENK")
    person = PersonFactory()
    Role.objects.create(
        company=company, national_id=person.national_id, code="INNH", read_at=timezone.now()
    )
    assert issued_card(company=company, person=person).valid is True


def test_a_board_role_does_not_stand_in_for_employment_in_an_as():
    company = registered_company(organisation_form="AS")
    person = PersonFactory()
    Role.objects.create(
        company=company, national_id=person.national_id, code="INNH", read_at=timezone.now()
    )
    assert issued_card(company=company, person=person).reasons == ["employment_not_reported"]


def test_a_staffing_agency_needs_approval():
    company = registered_company(is_staffing_agency=True)
    card = issued_card(company=company)
    assert card.reasons == ["staffing_not_approved"]

    StaffingApprovalFactory(orgnr=company.orgnr)
    recompute.recompute_cards(orgnrs=[company.orgnr], cause="bemanning")
    card.refresh_from_db()
    assert card.valid is True


def test_a_cleaning_card_needs_an_approved_cleaning_company():
    cleaning = CardType.objects.get(code="cleaning")
    company = registered_company(card_type=cleaning)
    CleaningApprovalFactory(orgnr=company.orgnr, status=CleaningApproval.Status.APPLICATION_PENDING)
    person = employed_person(company)
    card = CardFactory(company=company, holder=person, card_type=cleaning)
    recompute.recompute_cards(card_ids=[card.pk], cause="test")
    card.refresh_from_db()
    assert card.reasons == ["cleaning_not_approved"]

    CleaningApproval.objects.filter(orgnr=company.orgnr).update(
        status=CleaningApproval.Status.APPROVED_WITHOUT_EMPLOYEES
    )
    recompute.recompute_cards(orgnrs=[company.orgnr], cause="renhold")
    card.refresh_from_db()
    assert card.valid is True


def test_a_cleaning_worker_from_outside_the_eea_needs_a_residence_permit():
    cleaning = CardType.objects.get(code="cleaning")
    company = registered_company(card_type=cleaning)
    CleaningApprovalFactory(orgnr=company.orgnr)
    person = employed_person(company, needs_residence_permit=True)
    card = CardFactory(company=company, holder=person, card_type=cleaning)
    recompute.recompute_cards(card_ids=[card.pk], cause="test")
    card.refresh_from_db()
    assert card.reasons == ["residence_permit_missing"]

    person.residence_permit_until = timezone.localdate() + dt.timedelta(days=100)
    person.save()
    recompute.recompute_cards(person_ids=[person.pk], cause="permit")
    card.refresh_from_db()
    assert card.valid is True


def test_a_company_never_read_from_enhetsregisteret_counts_as_not_found():
    from tests.factories import CompanyFactory

    company = CompanyFactory()
    card = issued_card(company=company)
    assert card.reasons == ["company_not_found"]


def test_recompute_records_history_and_audit_only_for_cards_that_changed():
    card = issued_card()
    other = issued_card()
    history = CardStatusChange.objects.count()
    audits = AuditEvent.objects.filter(action="card.validity_changed").count()

    assert recompute.recompute_cards(card_ids=[card.pk, other.pk], cause="noop") == 0
    assert CardStatusChange.objects.count() == history
    assert AuditEvent.objects.filter(action="card.validity_changed").count() == audits

    BrregUnit.objects.filter(orgnr=card.company.orgnr).update(removed=True)
    assert recompute.recompute_cards(card_ids=[card.pk, other.pk], cause="brreg") == 1
    event = AuditEvent.objects.filter(action="card.validity_changed").latest("id")
    assert event.object_id == str(card.pk)
    assert event.company_id == card.company_id
    assert event.data["reasons"] == ["company_not_found"]
    assert event.data["previous_valid"] is True


def test_listeners_hear_of_changes_after_commit_and_only_of_changes(
    received, django_capture_on_commit_callbacks
):
    card = issued_card()
    with django_capture_on_commit_callbacks(execute=True):
        recompute.recompute_cards(card_ids=[card.pk], cause="noop")
    assert received == []

    BrregUnit.objects.filter(orgnr=card.company.orgnr).update(deleted_on=timezone.localdate())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        recompute.recompute_cards(orgnrs=[card.company.orgnr], cause="brreg")
        assert received == []  # nothing before commit
    assert len(callbacks) == 1
    assert len(received) == 1
    change = received[0]
    assert isinstance(change, CardValidityChange)
    assert (change.card_id, change.number, change.valid, change.reasons) == (
        card.pk,
        card.number,
        False,
        ("company_deleted",),
    )


def test_full_recompute_covers_every_card_and_reports_progress():
    cards = [issued_card() for _ in range(5)]
    BrregUnit.objects.filter(orgnr__in=[c.company.orgnr for c in cards[:2]]).update(
        registered_in_vat=False
    )
    seen = []
    changed = recompute.recompute_all(
        cause="full", progress=lambda done, total, ch: seen.append((done, total, ch)), chunk_size=2
    )
    assert changed == 2
    assert seen[-1] == (5, 5, 2)
    assert recompute.recompute_all(cause="full") == 0
    assert sorted(Card.objects.filter(valid=False).values_list("pk", flat=True)) == sorted(
        c.pk for c in cards[:2]
    )


def test_the_register_task_recomputes_the_cards_of_the_units_it_names():
    card = issued_card()
    BrregUnit.objects.filter(orgnr=card.company.orgnr).update(under_forced_dissolution=True)
    tasks.recompute_facts(
        card_ids=[], company_ids=[], orgnrs=[card.company.orgnr], person_ids=[], cause="brreg"
    )
    card.refresh_from_db()
    assert card.reasons == ["company_forcibly_dissolved"]


def test_the_daily_job_invalidates_cards_whose_expiry_date_has_come():
    card = issued_card()
    with time_machine.travel(card.expires_on, tick=False):
        assert card.pk in tasks.cards_touched_by_time(timezone.localdate())
        tasks.recompute_for_passing_time.call_local()
    card.refresh_from_db()
    assert card.reasons == ["card_expired"]


def test_the_daily_job_invalidates_cards_whose_employment_ended_yesterday():
    company = registered_company()
    person = PersonFactory()
    employment = EmploymentFactory(person=person, employer=company)
    card = issued_card(company=company, person=person)
    assert card.valid
    employment.ends_on = timezone.localdate() - dt.timedelta(days=1)
    employment.save()
    tasks.recompute_for_passing_time.call_local()
    card.refresh_from_db()
    assert card.reasons == ["employment_ended"]


def test_a_register_that_has_not_read_a_unit_yet_does_not_flip_cards_of_other_units():
    card = issued_card()
    BrregUnitFactory()  # some unrelated unit
    assert recompute.recompute_all(cause="full") == 0
    card.refresh_from_db()
    assert card.valid


def test_the_recompute_command_recomputes_every_card_with_progress():
    from io import StringIO

    from django.core.management import call_command

    card = issued_card()
    BrregUnit.objects.filter(orgnr=card.company.orgnr).update(bankrupt=True)
    out, err = StringIO(), StringIO()
    call_command("cards", "recompute", "--all", stdout=out, stderr=err)
    assert "1 card(s) changed" in out.getvalue()
    card.refresh_from_db()
    assert card.reasons == ["company_bankrupt"]


def test_an_exemption_recorded_on_the_company_revalidates_its_cards_after_commit(
    django_capture_on_commit_callbacks,
):
    card = issued_card()
    BrregUnit.objects.filter(orgnr=card.company.orgnr).update(registered_in_vat=False)
    recompute.recompute_cards(card_ids=[card.pk], cause="brreg")
    company = card.company
    company.vat_exempt = True
    with django_capture_on_commit_callbacks(execute=True):
        company.save()
    card.refresh_from_db()
    assert card.valid is True


def test_the_owner_role_of_a_sole_proprietor_ending_invalidates_the_card_after_commit(
    django_capture_on_commit_callbacks,
):
    company = registered_company(organisation_form="ENK")
    person = PersonFactory()
    role = Role.objects.create(
        company=company, national_id=person.national_id, code="INNH", read_at=timezone.now()
    )
    card = issued_card(company=company, person=person)
    assert card.valid
    with django_capture_on_commit_callbacks(execute=True):
        role.delete()
    card.refresh_from_db()
    assert card.reasons == ["employment_not_reported"]


def test_a_recompute_that_read_old_facts_does_not_overwrite_a_newer_lifecycle_change():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite refuses a write after a concurrent commit instead (BUSY_SNAPSHOT)")
    card = issued_card()
    today = timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(recompute._facts_sql("c.id = ANY(%s)", today), [[card.pk]])
        rows = cursor.fetchall()
    BrregUnit.objects.filter(orgnr=card.company.orgnr).update(bankrupt=True)
    stale = recompute._evaluate_rows(rows, today)  # computed before the bankruptcy: no change
    assert stale == []
    # A recompute that read the card before it was reported stolen computes "valid"...
    rows = [(*rows[0][:3], False, '["company_bankrupt"]', *rows[0][5:])]
    stale = recompute._evaluate_rows(rows, today)
    services.card_report_stolen(card=card, actor=STAFF)
    # ...and must not overwrite what the lifecycle change wrote meanwhile.
    assert recompute._write_changes(stale, cause="stale", now=timezone.now()) == []
    card.refresh_from_db()
    assert card.reasons == ["card_stolen"]
