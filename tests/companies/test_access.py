"""The one access check: roles, delegations in force, main unit covering sub-units."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from hmskort.audit.services import Actor
from hmskort.companies.models import Delegation
from hmskort.companies.selectors import DELEGATION, ROLE, access_for, companies_for
from hmskort.companies.services import DelegationError, grant_delegation, revoke_delegation
from tests.factories import CompanyFactory, RoleFactory, SubUnitFactory, national_id_for

pytestmark = pytest.mark.django_db

PER = national_id_for(dt.date(1990, 4, 4), 4)


def test_an_ordering_role_in_the_main_unit_covers_its_sub_units_but_not_a_subsidiary():
    main = CompanyFactory()
    unit = SubUnitFactory(parent=main)
    subsidiary = CompanyFactory()
    role = RoleFactory(company=main, code="LEDE")

    access = access_for(role.national_id, unit)

    assert access.kind == ROLE
    assert access.role_codes == ("LEDE",)
    assert access.via == main
    assert access.can_delegate
    assert access_for(role.national_id, subsidiary) is None


@pytest.mark.parametrize("code", ["REVI", "MEDL", "NEST", "REGN"])
def test_roles_without_ordering_rights_give_no_access(code):
    role = RoleFactory(code=code)

    assert access_for(role.national_id, role.company) is None
    assert companies_for(role.national_id) == []


@pytest.mark.parametrize(
    ("starts", "ends", "revoked", "in_force"),
    [
        (None, None, False, True),
        (0, 0, False, True),
        (1, None, False, False),
        (None, -1, False, False),
        (None, None, True, False),
    ],
)
def test_a_delegation_gives_access_only_while_in_force(starts, ends, revoked, in_force):
    today = timezone.localdate()
    company = CompanyFactory()
    Delegation.objects.create(
        company=company,
        national_id=PER,
        grantee_name="Per",
        granted_by_national_id="x",
        starts_on=None if starts is None else today + dt.timedelta(days=starts),
        ends_on=None if ends is None else today + dt.timedelta(days=ends),
        revoked_at=timezone.now() if revoked else None,
    )

    access = access_for(PER, company)

    assert (access is not None) == in_force
    if access:
        assert access.kind == DELEGATION and not access.can_delegate


def test_my_companies_says_where_each_access_comes_from():
    role = RoleFactory(code="DAGL", company__name="B Bygg AS")
    other = CompanyFactory(name="A Anlegg AS")
    grant_delegation(
        company=other,
        grantor_national_id=RoleFactory(company=other).national_id,
        actor=Actor.system("test"),
        national_id=role.national_id,
        grantee_name="Kari",
    )

    entries = companies_for(role.national_id)

    assert [(e.company.name, e.role_codes, len(e.delegations)) for e in entries] == [
        ("A Anlegg AS", [], 1),
        ("B Bygg AS", ["DAGL"], 0),
    ]


def test_a_delegate_cannot_delegate_further():
    company = CompanyFactory()
    grant_delegation(
        company=company,
        grantor_national_id=RoleFactory(company=company).national_id,
        actor=Actor.system("test"),
        national_id=PER,
        grantee_name="Per",
    )

    with pytest.raises(DelegationError):
        grant_delegation(
            company=company,
            grantor_national_id=PER,
            actor=Actor.system("test"),
            national_id=national_id_for(dt.date(1991, 5, 5)),
            grantee_name="Pål",
        )
    assert Delegation.objects.count() == 1


def test_a_role_registered_on_a_sub_unit_gives_no_access_to_it_or_to_its_main_unit():
    main = CompanyFactory()
    unit = SubUnitFactory(parent=main)
    role = RoleFactory(company=unit, code="DAGL")

    assert access_for(role.national_id, unit) is None
    assert access_for(role.national_id, main) is None
    assert companies_for(role.national_id) == []
    with pytest.raises(DelegationError):
        grant_delegation(
            company=main,
            grantor_national_id=role.national_id,
            actor=Actor.system("test"),
            national_id=PER,
            grantee_name="Per",
        )
    assert not Delegation.objects.exists()


def test_a_sub_unit_role_holder_cannot_revoke_what_the_main_unit_gave():
    main = CompanyFactory()
    unit = SubUnitFactory(parent=main)
    holder = RoleFactory(company=main, code="DAGL")
    sub_unit_role = RoleFactory(company=unit, code="DAGL")
    delegation = grant_delegation(
        company=main,
        grantor_national_id=holder.national_id,
        actor=Actor.system("test"),
        national_id=PER,
        grantee_name="Per",
    )

    with pytest.raises(DelegationError):
        revoke_delegation(
            delegation=delegation,
            revoker_national_id=sub_unit_role.national_id,
            actor=Actor.system("test"),
        )
    delegation.refresh_from_db()
    assert delegation.revoked_at is None


def test_a_role_on_the_main_unit_is_the_access_on_every_sub_unit_via_the_main_unit():
    main = CompanyFactory()
    unit = SubUnitFactory(parent=main)
    role = RoleFactory(company=main, code="DAGL")
    RoleFactory(company=main, code="LEDE", national_id=role.national_id)

    for company in (main, unit):
        access = access_for(role.national_id, company)
        assert (access.company, access.via, access.kind) == (company, main, ROLE)
        assert access.role_codes == ("DAGL", "LEDE")
        assert access.can_delegate
        assert access.delegation_id is None


def test_access_is_given_on_the_main_unit_only():
    unit = SubUnitFactory()
    role = RoleFactory(company=unit.parent)

    with pytest.raises(DelegationError):
        grant_delegation(
            company=unit,
            grantor_national_id=role.national_id,
            actor=Actor.system("test"),
            national_id=PER,
            grantee_name="Per",
        )


def _delegation(company, **kwargs):
    return Delegation.objects.create(
        company=company,
        national_id=PER,
        grantee_name="Per",
        granted_by_national_id="x",
        **kwargs,
    )


def test_no_person_or_no_company_means_no_access():
    company = CompanyFactory()
    _delegation(company)
    assert access_for(PER, None) is None
    assert access_for("", company) is None
    assert access_for(None, company) is None


def test_a_delegation_answers_with_its_company_unit_id_and_end_date():
    today = timezone.localdate()
    main = CompanyFactory()
    unit = SubUnitFactory(parent=main)
    delegation = _delegation(main, ends_on=today + dt.timedelta(days=9))

    for company in (main, unit):
        access = access_for(PER, company)
        assert (access.company, access.via, access.kind) == (company, main, DELEGATION)
        assert access.delegation_id == delegation.pk
        assert access.delegation_ends_on == today + dt.timedelta(days=9)
        assert access.role_codes == ()
        assert not access.can_delegate


def test_a_delegation_stored_on_a_sub_unit_covers_that_sub_unit_only():
    # Delegations are given on main units; one stored on a sub-unit (older data) still names it.
    main = CompanyFactory()
    unit = SubUnitFactory(parent=main)
    _delegation(unit)

    assert access_for(PER, unit).via == unit
    assert access_for(PER, main) is None


def test_a_delegation_for_another_company_gives_no_access_here():
    _delegation(CompanyFactory())
    assert access_for(PER, CompanyFactory()) is None


def test_of_two_delegations_in_force_the_one_ending_first_is_reported():
    today = timezone.localdate()
    company = CompanyFactory()
    _delegation(company, ends_on=today + dt.timedelta(days=30))
    sooner = _delegation(company, ends_on=today + dt.timedelta(days=10))

    assert access_for(PER, company).delegation_id == sooner.pk


def test_access_is_judged_on_the_day_asked_for():
    today = timezone.localdate()
    company = CompanyFactory()
    _delegation(company, ends_on=today - dt.timedelta(days=10))

    assert access_for(PER, company) is None
    assert access_for(PER, company, today=today - dt.timedelta(days=20)).kind == DELEGATION
    assert access_for(PER, company, today=today - dt.timedelta(days=10)).kind == DELEGATION
    assert access_for(PER, company, today=today - dt.timedelta(days=9)) is None
