import pytest
from django.utils import timezone

from hmskort.cards.models import CardType
from hmskort.registries import renhold, sources
from hmskort.registries.models import CleaningApproval, RegistryRun
from tests.factories import CompanyFactory, orgnr_for

from .payloads import renhold_xml

pytestmark = pytest.mark.django_db
Status = CleaningApproval.Status


def approval(orgnr, status=Status.APPROVED_WITH_EMPLOYEES):
    return CleaningApproval.objects.create(
        orgnr=orgnr, name="Vask AS", status=status, read_at=timezone.now()
    )


def test_the_file_from_the_configured_url_sets_each_company_s_status(httpserver, settings):
    a, b, c, d, e = (orgnr_for(300 + i) for i in range(5))
    settings.HMSKORT_RENHOLD_URL = httpserver.url_for("/renhold.xml")
    httpserver.expect_request("/renhold.xml").respond_with_data(
        renhold_xml(
            [
                (a, "Vask med ansatte AS", "Godkjent med ansatte"),
                (b, "Alene Renhold", "Godkjent uten ansatte"),
                (c, "Ny Vask AS", "Søknad under behandling"),
                (d, "Kort Vask AS", "HMS-kortbestilling under behandling"),
                (e, "Skitten AS", "Ikke godkjent"),
            ]
        ),
        content_type="application/xml",
    )
    run = renhold.sync()
    assert run.status == RegistryRun.Status.OK
    statuses = dict(CleaningApproval.objects.values_list("orgnr", "status"))
    assert statuses == {
        a: Status.APPROVED_WITH_EMPLOYEES,
        b: Status.APPROVED_WITHOUT_EMPLOYEES,
        c: Status.APPLICATION_PENDING,
        d: Status.CARD_ORDER_PENDING,
        e: Status.NOT_APPROVED,
    }
    assert CleaningApproval.objects.get(orgnr=a).read_from == settings.HMSKORT_RENHOLD_URL


def test_a_company_missing_from_the_file_is_no_longer_registered(tmp_path):
    stays, leaves = orgnr_for(310), orgnr_for(311)
    approval(stays)
    approval(leaves)
    path = tmp_path / "renhold.xml"
    path.write_bytes(renhold_xml([(stays, "Vask AS", "Godkjent med ansatte")]))
    run = renhold.sync(path=path)
    assert run.status == RegistryRun.Status.OK
    assert run.records_lost == 1
    assert CleaningApproval.objects.get(orgnr=leaves).status == Status.NOT_REGISTERED
    assert CleaningApproval.objects.get(orgnr=leaves).name == "Vask AS"


def test_a_company_in_the_register_gets_cleaning_cards_only(tmp_path):
    company = CompanyFactory()
    path = tmp_path / "renhold.xml"
    path.write_bytes(renhold_xml([(company.orgnr, company.name, "Søknad under behandling")]))
    renhold.sync(path=path)
    company.refresh_from_db()
    assert company.card_type == CardType.objects.get(code="cleaning")


def test_an_unknown_status_is_held_for_review_and_not_guessed(tmp_path):
    known, odd = orgnr_for(320), orgnr_for(321)
    approval(odd)
    path = tmp_path / "renhold.xml"
    path.write_bytes(
        renhold_xml(
            [(known, "Vask AS", "Godkjent med ansatte"), (odd, "Rar AS", "Midlertidig stengt")]
        )
    )
    run = renhold.sync(path=path)
    assert run.status == RegistryRun.Status.HELD
    assert "Midlertidig stengt" in run.message
    assert not CleaningApproval.objects.filter(orgnr=known).exists()

    sources.approve_run(run_id=run.pk, staff_username="saksbehandler")
    # The known status is applied; the company with the unknown status keeps its last facts.
    assert CleaningApproval.objects.get(orgnr=known).status == Status.APPROVED_WITH_EMPLOYEES
    assert CleaningApproval.objects.get(orgnr=odd).status == Status.APPROVED_WITH_EMPLOYEES


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><Renholdsregister><Virksomhet><Organisasjonsnummer>9',
        b"",
        b"<html>Service Unavailable</html",
    ],
)
def test_truncated_or_broken_xml_changes_nothing(tmp_path, body):
    orgnr = orgnr_for(330)
    approval(orgnr)
    path = tmp_path / "renhold.xml"
    path.write_bytes(body)
    run = renhold.sync(path=path)
    assert run.status == RegistryRun.Status.FAILED
    assert CleaningApproval.objects.get(orgnr=orgnr).status == Status.APPROVED_WITH_EMPLOYEES


def test_an_empty_register_is_held_as_a_mass_change(tmp_path):
    for i in range(25):
        approval(orgnr_for(400 + i))
    path = tmp_path / "renhold.xml"
    path.write_bytes(renhold_xml([]))
    run = renhold.sync(path=path)
    assert run.status == RegistryRun.Status.HELD
    assert CleaningApproval.objects.filter(status=Status.APPROVED_WITH_EMPLOYEES).count() == 25
    sources.reject_run(run_id=run.pk, staff_username="saksbehandler")
    assert CleaningApproval.objects.filter(status=Status.APPROVED_WITH_EMPLOYEES).count() == 25


def test_a_register_answering_500_changes_nothing(httpserver, settings):
    settings.HMSKORT_RENHOLD_URL = httpserver.url_for("/renhold.xml")
    httpserver.expect_request("/renhold.xml").respond_with_data("down", status=503)
    run = renhold.sync()
    assert run.status == RegistryRun.Status.FAILED
    assert "503" in run.message
