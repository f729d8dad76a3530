"""Facts that change in the apps below `cards` lead to one recompute per transaction, on commit."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from hmskort.audit.services import Actor
from hmskort.cards import recompute, tasks
from hmskort.cards.jobs import queue_recompute
from hmskort.cards.recompute import recompute_cards
from hmskort.companies.models import Role
from hmskort.people import services as people
from hmskort.registries import bemanning
from hmskort.registries.models import BrregUnit
from tests.factories import CardFactory, PersonFactory, employed_person, registered_company
from tests.registries.payloads import bemanning_json

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")


@pytest.fixture
def jobs(monkeypatch):
    """Every recompute job that runs (huey runs them at once in the tests), with the number of
    cards each one evaluated."""
    runs = []
    evaluate = recompute.evaluate
    real = tasks.recompute_cards

    def counting_evaluate(facts):
        if runs:  # outside a job: the test's own setup
            runs[-1]["evaluated"] += 1
        return evaluate(facts)

    def counting_recompute(**kwargs):
        runs.append({**kwargs, "evaluated": 0})
        return real(**kwargs)

    monkeypatch.setattr(recompute, "evaluate", counting_evaluate)
    monkeypatch.setattr(tasks, "recompute_cards", counting_recompute)
    return runs


def valid_card(company=None):
    company = company or registered_company()
    card = CardFactory(company=company, holder=employed_person(company))
    recompute_cards(card_ids=[card.pk], cause="test")
    card.refresh_from_db()
    assert card.valid
    return card


def test_a_company_found_to_be_a_staffing_agency_recomputes_its_cards_once(
    tmp_path, jobs, django_capture_on_commit_callbacks
):
    # The register run announces the unit, and the company's new staffing flag announces the
    # company: one job, and the card is evaluated once.
    card = valid_card()
    path = tmp_path / "bemanning.json"
    path.write_bytes(bemanning_json([(card.company.orgnr, card.company.name, "Ikke godkjent")]))
    with django_capture_on_commit_callbacks(execute=True):
        bemanning.sync(path=path)
    card.company.refresh_from_db()
    assert card.company.is_staffing_agency
    assert len(jobs) == 1
    assert jobs[0]["evaluated"] == 1
    assert jobs[0]["unit_orgnrs"] == [card.company.orgnr]  # the unit's own facts moved
    assert jobs[0]["company_ids"] == [card.company.pk]
    card.refresh_from_db()
    assert (card.valid, card.reasons) == (False, ["staffing_not_approved"])


def test_many_changes_in_one_transaction_queue_one_job_after_commit(
    jobs, django_capture_on_commit_callbacks
):
    card = valid_card()
    other = valid_card()
    BrregUnit.objects.filter(orgnr=card.company.orgnr).update(bankrupt=True)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            company = card.company
            company.vat_exempt = True
            company.save()
            people.person_set_residence_permit(
                person=other.holder, needs_permit=False, until=None, actor=SYSTEM
            )
            queue_recompute(orgnrs=[company.orgnr], cause="test")
        assert jobs == []  # nothing runs before commit
    assert len(callbacks) >= 1
    assert len(jobs) == 1
    assert jobs[0]["evaluated"] == 2
    assert jobs[0]["cause"] == "company+residence_permit+test"
    card.refresh_from_db()
    assert card.reasons == ["company_bankrupt"]


def test_a_rolled_back_change_queues_nothing(jobs, django_capture_on_commit_callbacks):
    card = valid_card()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                people.employment_record(
                    person=card.holder,
                    employer=card.company,
                    starts_on=dt.date(2020, 1, 1),
                    ends_on=timezone.localdate() - dt.timedelta(days=1),
                    actor=SYSTEM,
                )
                raise RuntimeError("the caller failed after the change")
        except RuntimeError:
            pass
    assert jobs == []
    card.refresh_from_db()
    assert card.valid


def test_an_owner_role_added_to_a_sole_proprietorship_recomputes_its_cards_once(
    jobs, django_capture_on_commit_callbacks
):
    company = registered_company(organisation_form="ENK")
    person = PersonFactory()
    card = CardFactory(company=company, holder=person)
    recompute_cards(card_ids=[card.pk], cause="test")
    card.refresh_from_db()
    assert card.reasons == ["employment_not_reported"]
    with django_capture_on_commit_callbacks(execute=True):
        Role.objects.create(
            company=company, national_id=person.national_id, code="INNH", read_at=timezone.now()
        )
    assert len(jobs) == 1
    assert jobs[0]["evaluated"] == 1
    card.refresh_from_db()
    assert card.valid


def test_a_role_that_does_not_stand_in_for_employment_queues_nothing(
    jobs, django_capture_on_commit_callbacks
):
    company = registered_company()
    with django_capture_on_commit_callbacks(execute=True):
        Role.objects.create(
            company=company, national_id="01017012345", code="DAGL", read_at=timezone.now()
        )
    assert jobs == []


def test_lower_apps_never_import_cards():
    import pathlib

    import hmskort

    root = pathlib.Path(hmskort.__file__).parent
    for app in ("audit", "companies", "people", "registries"):
        for path in (root / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            assert "hmskort.cards" not in path.read_text(), path


def test_the_states_before_issue_are_lifecycle_states_defined_once():
    from hmskort.cards import rules, services
    from hmskort.cards.models import CardState

    assert services.PRE_ISSUE_STATES is rules.PRE_ISSUE_STATES
    assert set(rules.PRE_ISSUE_STATES) <= set(CardState.values)
    assert CardState.ISSUED not in rules.PRE_ISSUE_STATES
