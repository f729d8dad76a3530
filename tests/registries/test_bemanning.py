import dataclasses
import json

import pytest
from django.core.management import CommandError, call_command

from hmskort.registries import bemanning
from hmskort.registries.models import RegistryRun, StaffingApproval
from tests.factories import CompanyFactory, StaffingApprovalFactory, orgnr_for

from .payloads import bemanning_json

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("status", "approved"),
    [
        ("Godkjent", True),
        ("Lovlig \u2013 godkjent", True),
        ("lovlig - godkjent", True),
        ("Ikke godkjent", False),
        ("Tilbakekalt", False),
        ("Avregistrert", False),
    ],
)
def test_statuses_map_to_approval(status, approved):
    assert bemanning.map_status(status) is approved


def test_the_file_from_the_configured_url_records_approvals_and_marks_agencies(
    httpserver, settings
):
    agency, withdrawn = CompanyFactory(), CompanyFactory()
    settings.HMSKORT_BEMANNING_URL = httpserver.url_for("/bemanning.json")
    httpserver.expect_request("/bemanning.json").respond_with_data(
        bemanning_json(
            [
                (agency.orgnr, agency.name, "Lovlig \u2013 godkjent"),
                (withdrawn.orgnr, withdrawn.name, "Tilbakekalt"),
            ]
        ),
        content_type="application/json",
    )
    run = bemanning.sync()
    assert run.status == RegistryRun.Status.OK
    assert StaffingApproval.objects.get(orgnr=agency.orgnr).approved is True
    assert StaffingApproval.objects.get(orgnr=withdrawn.orgnr).approved is False
    agency.refresh_from_db()
    withdrawn.refresh_from_db()
    assert agency.is_staffing_agency and withdrawn.is_staffing_agency


def test_a_plain_list_with_other_key_names_is_read_too(tmp_path):
    orgnr = orgnr_for(500)
    path = tmp_path / "bemanning.json"
    path.write_text(json.dumps([{"Orgnr": orgnr, "Navn": "Folk AS", "Status": "Godkjent"}]))
    assert bemanning.sync(path=path).status == RegistryRun.Status.OK
    assert StaffingApproval.objects.get(orgnr=orgnr).approved is True


def test_an_agency_missing_from_the_file_loses_its_approval(tmp_path):
    orgnr = orgnr_for(501)
    StaffingApprovalFactory(orgnr=orgnr, name="Folk AS")
    path = tmp_path / "bemanning.json"
    path.write_bytes(bemanning_json([(orgnr_for(502), "Andre AS", "Godkjent")]))
    run = bemanning.sync(path=path)
    assert run.status == RegistryRun.Status.OK
    assert StaffingApproval.objects.get(orgnr=orgnr).approved is False


def test_an_unknown_status_holds_the_run(tmp_path):
    orgnr = orgnr_for(503)
    path = tmp_path / "bemanning.json"
    path.write_bytes(bemanning_json([(orgnr, "Folk AS", "Kanskje")]))
    run = bemanning.sync(path=path)
    assert run.status == RegistryRun.Status.HELD
    assert "'Kanskje'" in run.message
    assert not StaffingApproval.objects.exists()


def test_truncated_json_changes_nothing_and_the_command_says_so(tmp_path):
    orgnr = orgnr_for(504)
    StaffingApprovalFactory(orgnr=orgnr)
    path = tmp_path / "bemanning.json"
    path.write_bytes(bemanning_json([(orgnr, "Folk AS", "Ikke godkjent")])[:40])
    with pytest.raises(CommandError):
        call_command("registries", "import", "bemanning", str(path))
    assert RegistryRun.objects.get().status == RegistryRun.Status.FAILED
    assert StaffingApproval.objects.get(orgnr=orgnr).approved is True


@pytest.mark.parametrize("depth", [100_000, 1_000_000])
def test_deeply_nested_json_ends_the_run_as_failed_with_a_clear_message(tmp_path, depth):
    orgnr = orgnr_for(505)
    StaffingApprovalFactory(orgnr=orgnr)
    path = tmp_path / "bemanning.json"
    path.write_text("[" * depth + "]" * depth)
    run = bemanning.sync(path=path)
    assert run.status == RegistryRun.Status.FAILED
    assert run.finished_at is not None
    assert "nested too deeply" in run.message
    assert RegistryRun.objects.get().status == RegistryRun.Status.FAILED
    assert StaffingApproval.objects.get(orgnr=orgnr).approved is True


def test_an_unexpected_error_while_reading_still_ends_the_run_as_failed(tmp_path, monkeypatch):
    def broken(data, read_from):
        raise KeyError("surprise")

    monkeypatch.setattr(
        bemanning, "REGISTER", dataclasses.replace(bemanning.REGISTER, parse=broken)
    )
    path = tmp_path / "bemanning.json"
    path.write_bytes(bemanning_json([(orgnr_for(506), "Folk AS", "Godkjent")]))
    with pytest.raises(KeyError):
        bemanning.sync(path=path)
    run = RegistryRun.objects.get()
    assert run.status == RegistryRun.Status.FAILED
    assert run.finished_at is not None
    assert "KeyError" in run.message
    assert not StaffingApproval.objects.exists()


def test_a_file_marking_many_agencies_approved_at_once_is_held(tmp_path):
    for i in range(30):
        StaffingApprovalFactory(
            orgnr=orgnr_for(600 + i), name=f"Byrå {i}", status="Ikke godkjent", approved=False
        )
    StaffingApprovalFactory(orgnr=orgnr_for(700), name="Folk AS")
    path = tmp_path / "bemanning.json"
    path.write_bytes(
        bemanning_json(
            [(orgnr_for(600 + i), f"Byrå {i}", "Godkjent") for i in range(30)]
            + [(orgnr_for(700), "Folk AS", "Godkjent")]
        )
    )
    run = bemanning.sync(path=path)
    assert run.status == RegistryRun.Status.HELD
    assert "30" in run.message and "would start meeting" in run.message
    assert StaffingApproval.objects.filter(approved=True).count() == 1


def test_a_few_new_approvals_go_through(tmp_path):
    StaffingApprovalFactory(orgnr=orgnr_for(710), name="Folk AS")
    path = tmp_path / "bemanning.json"
    path.write_bytes(
        bemanning_json(
            [(orgnr_for(710), "Folk AS", "Godkjent")]
            + [(orgnr_for(720 + i), f"Nytt byrå {i}", "Godkjent") for i in range(3)]
        )
    )
    run = bemanning.sync(path=path)
    assert run.status == RegistryRun.Status.OK
    assert StaffingApproval.objects.filter(approved=True).count() == 4


def test_the_first_file_ever_read_is_not_held_for_its_many_approvals(tmp_path):
    path = tmp_path / "bemanning.json"
    path.write_bytes(
        bemanning_json([(orgnr_for(800 + i), f"Byrå {i}", "Godkjent") for i in range(50)])
    )
    assert bemanning.sync(path=path).status == RegistryRun.Status.OK
