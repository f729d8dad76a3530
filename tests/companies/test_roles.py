"""Roles by national ID number: the local source, the file import, and Enhetsregisteret's
authorised roles API served by a real HTTP server."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from hmskort.audit.models import AuditEvent
from hmskort.companies.models import Role
from hmskort.companies.roles import BrregAuthorisedRoleSource, LocalRoleSource, RoleSourceError
from hmskort.companies.selectors import access_for, companies_for
from hmskort.companies.services import refresh_roles_for_person
from tests.factories import CompanyFactory, RoleFactory, national_id_for, orgnr_for

pytestmark = pytest.mark.django_db

KARI = national_id_for(dt.date(1975, 8, 9), 1)
OLA = national_id_for(dt.date(1968, 1, 30), 2)


def write_csv(tmp_path, lines):
    path = tmp_path / "roles.csv"
    path.write_text("orgnr,national_id,role_code,name\n" + "\n".join(lines) + "\n")
    return str(path)


def test_the_file_import_gives_each_named_company_exactly_the_listed_roles(tmp_path):
    company = CompanyFactory(name="Fjord Bygg AS")
    RoleFactory(company=company, national_id=OLA, code="DAGL")
    path = write_csv(tmp_path, [f"{company.orgnr},{KARI},dagl,Kari Nordmann"])

    call_command("roles", "import", path)

    roles = list(Role.objects.filter(company=company).values_list("national_id", "code", "source"))
    assert roles == [(KARI, "DAGL", "local")]
    assert access_for(KARI, company) is not None
    assert access_for(OLA, company) is None
    actions = set(AuditEvent.objects.filter(company=company).values_list("action", flat=True))
    assert actions == {"role.added", "role.removed"}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{orgnr},12345678901,DAGL,X", "line 2"),
        ("123456789,{kari},DAGL,X", "line 2"),
        ("{orgnr},{kari},REVI,X", "role code 'REVI'"),
    ],
)
def test_a_bad_line_stops_the_import_with_its_line_number_and_changes_nothing(
    tmp_path, line, message
):
    company = CompanyFactory()
    path = write_csv(tmp_path, [line.format(orgnr=company.orgnr, kari=KARI)])

    with pytest.raises(CommandError, match=message) as error:
        call_command("roles", "import", path)

    assert KARI not in str(error.value)
    assert not Role.objects.exists()


def test_roles_are_refreshed_at_login_with_the_time_they_were_read():
    role = RoleFactory(national_id=KARI)
    before = role.read_at

    result = refresh_roles_for_person(national_id=KARI, source=LocalRoleSource())

    role.refresh_from_db()
    assert result.read == 1
    assert role.read_at > before


ROLES_BODY = {
    "rollegrupper": [
        {
            "type": {"kode": "DAGL"},
            "roller": [
                {
                    "type": {"kode": "DAGL"},
                    "person": {
                        "fodselsnummer": KARI,
                        "fodselsdato": "1975-08-09",
                        "navn": {"fornavn": "Kari", "etternavn": "Nordmann"},
                        "erDoed": False,
                    },
                    "fratraadt": False,
                }
            ],
        },
        {
            "type": {"kode": "STYR"},
            "roller": [
                {
                    "type": {"kode": "LEDE"},
                    "person": {"fodselsnummer": OLA, "navn": {"fornavn": "Ola"}, "erDoed": False},
                    "fratraadt": True,
                },
                {
                    "type": {"kode": "MEDL"},
                    "person": {"fodselsnummer": OLA, "navn": {"fornavn": "Ola"}},
                    "fratraadt": False,
                },
                {
                    "type": {"kode": "NEST"},
                    "person": {"fodselsdato": "1960-01-01", "navn": {"fornavn": "Uten"}},
                },
            ],
        },
    ]
}


def test_the_authorised_roles_api_gives_ordering_roles_by_national_id_number(httpserver):
    orgnr = orgnr_for(77)
    httpserver.expect_request(
        f"/autorisert-api/enheter/{orgnr}/roller", headers={"Authorization": "Bearer t0ken"}
    ).respond_with_json(ROLES_BODY)
    source = BrregAuthorisedRoleSource(httpserver.url_for("/autorisert-api"), "t0ken")

    facts = source.roles_for_company(orgnr)

    assert [(f.national_id, f.code, f.holder_name) for f in facts] == [
        (KARI, "DAGL", "Kari Nordmann")
    ]


def test_roles_sync_stores_a_companys_roles_and_a_failing_register_keeps_the_old_ones(httpserver):
    company = CompanyFactory()
    httpserver.expect_ordered_request(
        f"/autorisert-api/enheter/{company.orgnr}/roller"
    ).respond_with_json(ROLES_BODY)
    httpserver.expect_ordered_request(
        f"/autorisert-api/enheter/{company.orgnr}/roller"
    ).respond_with_data("down", status=503)
    with override_settings(
        HMSKORT_BRREG_ROLES_URL=httpserver.url_for("/autorisert-api"),
        HMSKORT_BRREG_ROLES_TOKEN="t0ken",
    ):
        call_command("roles", "sync", "--orgnr", company.orgnr)
        with pytest.raises(CommandError):
            call_command("roles", "sync", "--orgnr", company.orgnr)

    assert list(Role.objects.values_list("national_id", "code", "source")) == [
        (KARI, "DAGL", "brreg")
    ]


def test_at_login_the_brreg_source_rereads_the_persons_companies_and_drops_lost_roles(
    httpserver,
):
    company = CompanyFactory()
    RoleFactory(company=company, national_id=OLA, code="LEDE", source="brreg")
    httpserver.expect_request(f"/autorisert-api/enheter/{company.orgnr}/roller").respond_with_json(
        ROLES_BODY
    )
    source = BrregAuthorisedRoleSource(httpserver.url_for("/autorisert-api"), "t0ken")

    result = refresh_roles_for_person(national_id=OLA, source=source)

    assert result.removed == 1
    assert companies_for(OLA) == []


def test_the_authorised_roles_api_is_asked_again_when_it_is_briefly_unavailable(httpserver):
    orgnr = orgnr_for(78)
    path = f"/autorisert-api/enheter/{orgnr}/roller"
    httpserver.expect_ordered_request(path).respond_with_data("busy", status=503)
    httpserver.expect_ordered_request(
        path, headers={"Authorization": "Bearer t0ken"}
    ).respond_with_json(ROLES_BODY)
    source = BrregAuthorisedRoleSource(httpserver.url_for("/autorisert-api"), "t0ken")

    facts = source.roles_for_company(orgnr)

    assert [(f.national_id, f.code) for f in facts] == [(KARI, "DAGL")]
    # Asked twice: the busy answer, then the one that counted, both with the token.
    httpserver.check_assertions()
    assert [(r.path, r.headers["Authorization"]) for r, _ in httpserver.log] == [
        (path, "Bearer t0ken"),
        (path, "Bearer t0ken"),
    ]
    assert [response.status_code for _, response in httpserver.log] == [503, 200]


def test_a_register_that_cannot_be_reached_raises_and_keeps_nothing_half_done(httpserver):
    httpserver.expect_request("/autorisert-api/enheter/974760673/roller").respond_with_data(
        "nope", status=500
    )
    source = BrregAuthorisedRoleSource(httpserver.url_for("/autorisert-api"), "t0ken")

    with pytest.raises(RoleSourceError):
        source.roles_for_company("974760673")


def test_the_nightly_roles_sync_reads_every_main_unit_from_the_register(httpserver):
    from hmskort.companies.tasks import sync_roles

    company = CompanyFactory()
    httpserver.expect_request(f"/autorisert-api/enheter/{company.orgnr}/roller").respond_with_json(
        ROLES_BODY
    )
    with override_settings(
        HMSKORT_ROLES_SOURCE="brreg",
        HMSKORT_BRREG_ROLES_URL=httpserver.url_for("/autorisert-api"),
        HMSKORT_BRREG_ROLES_TOKEN="t0ken",
    ):
        sync_roles.call_local()

    assert list(Role.objects.values_list("company", "national_id")) == [(company.pk, KARI)]
