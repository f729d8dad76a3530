"""Staff and operators: scheduled jobs, the command, the admin review of held runs."""

import gzip
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from hmskort.registries import brreg, sources, tasks
from hmskort.registries.models import BrregUnit, FeedCursor, RegistryRun
from hmskort.registries.selectors import source_states
from tests.factories import BrregUnitFactory, CompanyFactory, orgnr_for

from .payloads import API, feed_page, sub_unit, unit, write_bulk

pytestmark = pytest.mark.django_db


def test_the_feed_job_follows_both_feeds_page_after_page(brreg_api):
    a, b, branch = orgnr_for(600), orgnr_for(601), orgnr_for(602)
    BrregUnitFactory(orgnr=a)
    BrregUnitFactory(orgnr=b)
    BrregUnitFactory(orgnr=branch, is_sub_unit=True, parent_orgnr=a)
    FeedCursor.objects.create(feed="brreg:enheter", last_update_id=10)
    FeedCursor.objects.create(feed="brreg:underenheter", last_update_id=500)
    brreg_api.expect_request(
        f"{API}/oppdateringer/enheter",
        query_string={"size": "1000", "page": "0", "oppdateringsid": "11"},
    ).respond_with_json(feed_page([(11, a, "Endring")], total=2))
    brreg_api.expect_request(
        f"{API}/oppdateringer/enheter",
        query_string={"size": "1000", "page": "0", "oppdateringsid": "12"},
    ).respond_with_json(feed_page([(12, b, "Endring")]))
    brreg_api.expect_request(f"{API}/enheter/{a}").respond_with_json(unit(a, konkurs=True))
    brreg_api.expect_request(f"{API}/enheter/{b}").respond_with_json(unit(b))
    brreg_api.expect_request(f"{API}/oppdateringer/underenheter").respond_with_json(
        feed_page([(501, branch, "Endring")], sub_units=True)
    )
    brreg_api.expect_request(f"{API}/underenheter/{branch}").respond_with_json(
        sub_unit(branch, a, "Ny avdeling")
    )

    tasks.sync_brreg_feeds.call_local()

    assert BrregUnit.objects.get(orgnr=a).bankrupt is True
    assert BrregUnit.objects.get(orgnr=branch).name == "Ny avdeling"
    assert FeedCursor.objects.get(feed="brreg:enheter").last_update_id == 12
    assert FeedCursor.objects.get(feed="brreg:underenheter").last_update_id == 501
    assert set(RegistryRun.objects.values_list("status", flat=True)) == {RegistryRun.Status.OK}


def test_file_jobs_do_nothing_without_a_configured_url(settings):
    settings.HMSKORT_RENHOLD_URL = ""
    settings.HMSKORT_BEMANNING_URL = ""
    tasks.sync_renhold.call_local()
    tasks.sync_bemanning.call_local()
    assert not RegistryRun.objects.exists()


def test_a_company_seen_for_the_first_time_is_looked_up_after_commit(
    brreg_api, django_capture_on_commit_callbacks
):
    company = CompanyFactory()
    brreg_api.expect_request(f"{API}/enheter/{company.orgnr}").respond_with_json(
        unit(company.orgnr, company.name)
    )
    with django_capture_on_commit_callbacks(execute=True):
        sources.request_lookup(orgnrs=[company.orgnr])
    assert BrregUnit.objects.get(orgnr=company.orgnr).registered_in_vat is True


def test_sync_downloads_the_bulk_files_and_imports_them(brreg_api, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    main, branch = orgnr_for(610), orgnr_for(611)
    brreg_api.expect_request(f"{API}/enheter/lastned").respond_with_data(
        gzip.compress(json.dumps([unit(main)]).encode()), content_type="application/octet-stream"
    )
    brreg_api.expect_request(f"{API}/underenheter/lastned").respond_with_data(
        gzip.compress(json.dumps([sub_unit(branch, main)]).encode()),
        content_type="application/octet-stream",
    )
    call_command("registries", "sync", "--source", "brreg-bulk")
    assert BrregUnit.objects.get(orgnr=main).is_sub_unit is False
    assert BrregUnit.objects.get(orgnr=branch).parent_orgnr == main


def test_a_bulk_download_that_fails_once_is_retried_and_imported(brreg_api, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    main = orgnr_for(612)
    brreg_api.expect_ordered_request(f"{API}/enheter/lastned").respond_with_data("busy", status=503)
    brreg_api.expect_ordered_request(f"{API}/enheter/lastned").respond_with_data(
        gzip.compress(json.dumps([unit(main)]).encode()), content_type="application/octet-stream"
    )
    brreg_api.expect_ordered_request(f"{API}/underenheter/lastned").respond_with_data(
        gzip.compress(b"[]"), content_type="application/octet-stream"
    )

    runs = brreg.sync_bulk()

    assert [r.status for r in runs] == [RegistryRun.Status.OK] * 2
    assert BrregUnit.objects.filter(orgnr=main).exists()
    assert not list(tmp_path.glob("registries/*.part"))


def test_a_failed_download_is_a_failed_run(brreg_api, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    brreg_api.expect_request(f"{API}/enheter/lastned").respond_with_data("no", status=503)
    brreg_api.expect_request(f"{API}/underenheter/lastned").respond_with_data("no", status=503)
    runs = brreg.sync_bulk()
    assert [r.status for r in runs] == [RegistryRun.Status.FAILED] * 2
    assert not list(tmp_path.glob("registries/*.part"))


def test_status_shows_held_runs_and_stale_sources(tmp_path, capsys):
    orgnrs = [orgnr_for(700 + i) for i in range(25)]
    for orgnr in orgnrs:
        BrregUnitFactory(orgnr=orgnr)
    path = write_bulk(tmp_path / "enheter.json.gz", [unit(o, konkurs=True) for o in orgnrs])
    brreg.import_bulk(path)
    RegistryRun.objects.create(
        source=RegistryRun.Source.BRREG_FEED,
        status=RegistryRun.Status.FAILED,
        started_at=timezone.now(),
    )
    call_command("registries", "status")
    out = capsys.readouterr().out
    assert "brreg-bulk" in out and "1 held for review" in out
    assert "STALE" in out
    feed = next(s for s in source_states() if s.source == RegistryRun.Source.BRREG_FEED)
    assert feed.stale is True


def test_staff_approve_a_held_run_in_the_admin(staff_client, tmp_path):
    client = staff_client("administrator", "saksbehandler")
    orgnrs = [orgnr_for(800 + i) for i in range(25)]
    for orgnr in orgnrs:
        BrregUnitFactory(orgnr=orgnr)
    path = write_bulk(
        tmp_path / "enheter.json.gz", [unit(o, registrertIMvaregisteret=False) for o in orgnrs]
    )
    run = brreg.import_bulk(path)
    url = reverse("admin:registries_registryrun_changelist")
    page = client.get(url)
    assert page.status_code == 200
    assert "held" in page.content.decode().lower()

    response = client.post(url, {"action": "approve", "_selected_action": [run.pk]}, follow=True)

    assert response.status_code == 200
    run.refresh_from_db()
    assert run.status == RegistryRun.Status.APPROVED
    assert run.reviewed_by == "saksbehandler"
    assert not BrregUnit.objects.filter(registered_in_vat=True).exists()
    assert (
        client.get(reverse("admin:registries_registryrun_change", args=[run.pk])).status_code == 200
    )


def test_a_new_name_in_the_register_becomes_the_company_s_name(brreg_api):
    from hmskort.audit.models import AuditEvent
    from tests.factories import registered_company

    company = registered_company()
    FeedCursor.objects.create(feed="brreg:enheter", last_update_id=1)
    brreg_api.expect_request(f"{API}/oppdateringer/enheter").respond_with_json(
        feed_page([(2, company.orgnr, "Endring")])
    )
    brreg_api.expect_request(f"{API}/enheter/{company.orgnr}").respond_with_json(
        unit(company.orgnr, "Nytt Navn AS")
    )
    brreg.sync_feed("enheter")
    company.refresh_from_db()
    assert company.name == "Nytt Navn AS"
    event = AuditEvent.objects.get(action="company.register_facts_applied")
    assert event.data["name"][1] == "Nytt Navn AS"
