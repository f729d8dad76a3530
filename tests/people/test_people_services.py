"""Recording persons and employments: bad numbers refused by field, cards follow the facts."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from hmskort.audit.models import AuditEvent
from hmskort.audit.services import Actor
from hmskort.cards.recompute import recompute_cards
from hmskort.people import services
from hmskort.people.models import Employment, Person
from tests.factories import CardFactory, national_id_for, registered_company

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def test_an_invalid_national_id_is_refused_with_a_message_naming_the_field():
    with pytest.raises(ValidationError) as excinfo:
        services.person_record(
            national_id="01017000028", given_name="Kari", family_name="Nordmann", actor=SYSTEM
        )
    assert "national_id" in excinfo.value.message_dict
    assert Person.objects.count() == 0


def test_a_missing_name_is_refused_with_a_message_naming_the_field():
    with pytest.raises(ValidationError) as excinfo:
        services.person_record(
            national_id=national_id_for(dt.date(1980, 3, 4)),
            given_name=" ",
            family_name="Nordmann",
            actor=SYSTEM,
        )
    assert "given_name" in excinfo.value.message_dict


def test_recording_the_same_person_twice_gives_one_person_with_the_birth_date_from_the_number():
    number = national_id_for(dt.date(1980, 3, 4))
    first = services.person_record(
        national_id=number, given_name="Kari", family_name="Nordmann", actor=SYSTEM
    )
    second = services.person_record(
        national_id=f"{number[:6]} {number[6:]}",
        given_name="Kari",
        family_name="Nordmann",
        actor=SYSTEM,
    )
    assert first == second
    assert first.birth_date == dt.date(1980, 3, 4)
    assert AuditEvent.objects.filter(action="person.recorded").count() == 1
    assert number not in str(list(AuditEvent.objects.values_list("data", flat=True)))


def test_an_employment_ending_makes_the_card_invalid_when_the_change_commits(
    django_capture_on_commit_callbacks,
):
    company = registered_company()
    person = Person.objects.create(
        national_id=national_id_for(dt.date(1975, 6, 7)), given_name="Ola", family_name="N"
    )
    employment = services.employment_record(
        person=person, employer=company, starts_on=dt.date(2020, 1, 1), actor=SYSTEM
    )
    card = CardFactory(company=company, holder=person)
    recompute_cards(card_ids=[card.pk], cause="test")
    card.refresh_from_db()
    assert card.valid

    with django_capture_on_commit_callbacks(execute=True):
        services.employment_record(
            person=person,
            employer=company,
            starts_on=employment.starts_on,
            ends_on=timezone.localdate() - dt.timedelta(days=1),
            actor=SYSTEM,
        )
    card.refresh_from_db()
    assert card.reasons == ["employment_ended"]
    assert Employment.objects.count() == 1


def test_an_employment_that_ends_before_it_starts_is_refused():
    company = registered_company()
    person = Person.objects.create(
        national_id=national_id_for(dt.date(1975, 6, 8)), given_name="Ola", family_name="N"
    )
    with pytest.raises(ValidationError) as excinfo:
        services.employment_record(
            person=person,
            employer=company,
            starts_on=dt.date(2020, 1, 1),
            ends_on=dt.date(2019, 1, 1),
            actor=SYSTEM,
        )
    assert "ends_on" in excinfo.value.message_dict


def test_a_number_folkeregisteret_no_longer_accepts_makes_the_card_invalid(
    django_capture_on_commit_callbacks,
):
    company = registered_company()
    card = CardFactory(company=company)
    with django_capture_on_commit_callbacks(execute=True):
        services.employment_record(
            person=card.holder, employer=company, starts_on=dt.date(2020, 1, 1), actor=SYSTEM
        )
        services.person_set_national_id_valid(person=card.holder, valid=False, actor=SYSTEM)
    card.refresh_from_db()
    assert card.reasons == ["national_id_invalid"]


@override_settings(HMSKORT_ALLOW_TEST_IDENTITIES=False)
def test_revalidation_marks_test_identities_invalid_where_they_are_not_allowed():
    synthetic = "01817000000"
    # Find a synthetic number (month + 80) with valid check digits.
    from stdnum.no import fodselsnummer

    body = synthetic[:9]
    synthetic = body + fodselsnummer.calc_check_digit1(body)
    synthetic += fodselsnummer.calc_check_digit2(synthetic)
    person = Person.objects.create(national_id=synthetic, given_name="Test", family_name="Person")
    regular = Person.objects.create(
        national_id=national_id_for(dt.date(1971, 1, 1)), given_name="Ola", family_name="N"
    )
    assert services.people_revalidate_national_ids(actor=SYSTEM) == 1
    person.refresh_from_db()
    regular.refresh_from_db()
    assert (person.national_id_valid, regular.national_id_valid) == (False, True)


def test_the_revalidate_command_reports_how_many_persons_changed():
    from io import StringIO

    from django.core.management import call_command

    Person.objects.create(
        national_id=national_id_for(dt.date(1972, 2, 2)), given_name="Ola", family_name="N"
    )
    out = StringIO()
    call_command("people", "revalidate", stdout=out)
    assert "0 person(s) changed" in out.getvalue()
