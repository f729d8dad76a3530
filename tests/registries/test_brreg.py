import gzip
import time

import pytest
from django.core.management import call_command
from django.utils import timezone
from werkzeug import Response

from hmskort.registries import brreg, services, sources
from hmskort.registries.models import BrregUnit, FeedCursor, RegistryRun, StagedBrregUnit
from tests.factories import CompanyFactory, orgnr_for

from .payloads import API, feed_page, sub_unit, unit, write_bulk

pytestmark = pytest.mark.django_db


def stored_unit(orgnr, **fields):
    row = brreg.unit_row(unit(orgnr), sub_unit=False, read_at=timezone.now(), read_from="seed")
    row.update(fields)
    row["fact_hash"] = brreg.fact_digest(brreg.copy_body(row))
    return BrregUnit.objects.create(**row)


def test_feed_reads_the_changed_units_and_resumes_where_it_stopped(brreg_api):
    known, unknown = orgnr_for(1), orgnr_for(2)
    stored_unit(known)
    FeedCursor.objects.create(feed="brreg:enheter", last_update_id=41)
    brreg_api.expect_ordered_request(
        f"{API}/oppdateringer/enheter",
        query_string={"size": "1000", "page": "0", "oppdateringsid": "42"},
    ).respond_with_json(feed_page([(42, known, "Endring"), (43, unknown, "Ny")]))
    brreg_api.expect_ordered_request(f"{API}/enheter/{known}").respond_with_json(
        unit(known, registrertIMvaregisteret=False)
    )

    run = brreg.sync_feed("enheter")

    assert run.status == RegistryRun.Status.OK
    fact = BrregUnit.objects.get(orgnr=known)
    assert fact.registered_in_vat is False
    assert fact.read_from.endswith(f"/enheter/{known}")
    assert not BrregUnit.objects.filter(orgnr=unknown).exists()  # not a unit we keep facts on
    assert FeedCursor.objects.get(feed="brreg:enheter").last_update_id == 43

    brreg_api.clear()
    brreg_api.expect_request(
        f"{API}/oppdateringer/enheter",
        query_string={"size": "1000", "page": "0", "oppdateringsid": "44"},
    ).respond_with_json(feed_page([]))
    again = brreg.sync_feed("enheter")
    assert again.status == RegistryRun.Status.OK
    assert again.records_changed == 0


def test_feed_without_a_position_starts_from_a_date(brreg_api):
    brreg_api.expect_request(f"{API}/oppdateringer/underenheter").respond_with_json(
        feed_page([], sub_units=True)
    )
    run = brreg.sync_feed("underenheter")
    assert run.status == RegistryRun.Status.OK
    request, _ = brreg_api.log[0]
    assert "dato" in request.args


@pytest.mark.parametrize("status", [404, 410])
def test_a_unit_that_is_gone_from_the_register_is_recorded_as_removed(brreg_api, status):
    orgnr = orgnr_for(3)
    stored_unit(orgnr)
    FeedCursor.objects.create(feed="brreg:enheter", last_update_id=1)
    brreg_api.expect_request(f"{API}/oppdateringer/enheter").respond_with_json(
        feed_page([(2, orgnr, "Sletting")])
    )
    body = {"organisasjonsnummer": orgnr, "slettedato": "2026-11-28"} if status == 410 else {}
    brreg_api.expect_request(f"{API}/enheter/{orgnr}").respond_with_json(body, status=status)

    run = brreg.sync_feed("enheter")

    assert run.status == RegistryRun.Status.OK
    fact = BrregUnit.objects.get(orgnr=orgnr)
    assert fact.removed is True
    assert fact.name == "Bygg og Anlegg AS"  # what we knew stays beside the removal
    if status == 410:
        assert str(fact.deleted_on) == "2026-11-28"


def test_removed_change_needs_no_look_up(brreg_api):
    orgnr = orgnr_for(4)
    stored_unit(orgnr)
    FeedCursor.objects.create(feed="brreg:enheter", last_update_id=1)
    brreg_api.expect_request(f"{API}/oppdateringer/enheter").respond_with_json(
        feed_page([(2, orgnr, "Fjernet")])
    )
    assert brreg.sync_feed("enheter").status == RegistryRun.Status.OK
    assert BrregUnit.objects.get(orgnr=orgnr).removed is True


def test_a_register_answering_500_changes_nothing_and_keeps_the_feed_position(brreg_api):
    orgnr = orgnr_for(5)
    stored_unit(orgnr)
    FeedCursor.objects.create(feed="brreg:enheter", last_update_id=9)
    brreg_api.expect_request(f"{API}/oppdateringer/enheter").respond_with_json(
        feed_page([(10, orgnr, "Endring")])
    )
    brreg_api.expect_request(f"{API}/enheter/{orgnr}").respond_with_data("oops", status=500)

    run = brreg.sync_feed("enheter")

    assert run.status == RegistryRun.Status.FAILED
    assert "500" in run.message
    assert BrregUnit.objects.get(orgnr=orgnr).registered_in_vat is True
    assert FeedCursor.objects.get(feed="brreg:enheter").last_update_id == 9
    # Retried before giving up.
    assert sum(1 for r, _ in brreg_api.log if r.path.endswith(orgnr)) == 2


def test_a_register_that_times_out_changes_nothing(brreg_api, settings):
    settings.HMSKORT_REGISTRY_TIMEOUT = 0.2
    settings.HMSKORT_REGISTRY_RETRIES = 1

    def slow(request):
        time.sleep(1)
        return Response("{}", content_type="application/json")

    brreg_api.expect_request(f"{API}/oppdateringer/enheter").respond_with_handler(slow)
    run = brreg.sync_feed("enheter")
    assert run.status == RegistryRun.Status.FAILED
    assert "timed out" in run.message


def test_truncated_json_from_the_feed_changes_nothing(brreg_api):
    FeedCursor.objects.create(feed="brreg:enheter", last_update_id=3)
    brreg_api.expect_request(f"{API}/oppdateringer/enheter").respond_with_data(
        '{"_embedded": {"oppdaterteEnheter": [{"oppdateringsid": 4, "organ',
        content_type="application/json",
    )
    run = brreg.sync_feed("enheter")
    assert run.status == RegistryRun.Status.FAILED
    assert "malformed JSON" in run.message
    assert FeedCursor.objects.get(feed="brreg:enheter").last_update_id == 3


def test_a_unit_in_the_wrong_shape_changes_nothing(brreg_api):
    orgnr = orgnr_for(6)
    stored_unit(orgnr)
    FeedCursor.objects.create(feed="brreg:enheter", last_update_id=1)
    brreg_api.expect_request(f"{API}/oppdateringer/enheter").respond_with_json(
        feed_page([(2, orgnr, "Endring")])
    )
    brreg_api.expect_request(f"{API}/enheter/{orgnr}").respond_with_json({"navn": "no number"})
    run = brreg.sync_feed("enheter")
    assert run.status == RegistryRun.Status.FAILED
    assert BrregUnit.objects.get(orgnr=orgnr).read_from == "seed"


def test_look_up_reads_units_the_card_register_sees_for_the_first_time(brreg_api):
    orgnr = orgnr_for(7)
    CompanyFactory(orgnr=orgnr)
    brreg_api.expect_request(f"{API}/enheter/{orgnr}").respond_with_json(unit(orgnr, konkurs=True))
    run = brreg.lookup([orgnr])
    assert run.status == RegistryRun.Status.OK
    assert BrregUnit.objects.get(orgnr=orgnr).bankrupt is True


def test_roles_are_read_without_resigned_or_dead_holders(brreg_api):
    orgnr = orgnr_for(8)

    def role(code, **extra):
        return {
            "type": {"kode": code, "beskrivelse": code},
            "person": {
                "fodselsdato": "1970-05-17",
                "navn": {"fornavn": "Kari", "etternavn": "Nordmann"},
                "erDoed": extra.pop("dead", False),
            },
            "fratraadt": extra.pop("resigned", False),
            "rekkefolge": 0,
        }

    brreg_api.expect_request(f"{API}/enheter/{orgnr}/roller").respond_with_json(
        {
            "rollegrupper": [
                {"type": {"kode": "DAGL"}, "sistEndret": "2020-01-01", "roller": [role("DAGL")]},
                {
                    "type": {"kode": "STYR"},
                    "roller": [role("LEDE", resigned=True), role("MEDL", dead=True)],
                },
            ]
        }
    )
    from hmskort.http import make_client

    with make_client() as client:
        roles = brreg.fetch_roles(client, orgnr)
    assert [(r["code"], r["name"], r["birth_date"]) for r in roles] == [
        ("DAGL", "Kari Nordmann", "1970-05-17")
    ]


def test_bulk_file_is_imported_with_units_and_sub_units(tmp_path):
    main, other, branch = orgnr_for(10), orgnr_for(11), orgnr_for(12)
    path = write_bulk(
        tmp_path / "enheter_alle.json.gz",
        [
            unit(main, 'Vask & Rens "Øst" \\ Tab\tAS'),
            unit(other, slettedato="2025-01-31", registrertIMvaregisteret=False),
        ],
    )
    run = brreg.import_bulk(path)
    assert run.status == RegistryRun.Status.OK
    assert run.records_read == 2
    assert BrregUnit.objects.get(orgnr=other).deleted_on.isoformat() == "2025-01-31"
    assert BrregUnit.objects.get(orgnr=main).read_from == "file:enheter_alle.json.gz"
    assert BrregUnit.objects.get(orgnr=main).name == 'Vask & Rens "Øst" \\ Tab\tAS'
    assert BrregUnit.objects.get(orgnr=main).address["poststed"] == "OSLO"

    subs = write_bulk(tmp_path / "underenheter_alle.json.gz", [sub_unit(branch, main)])
    assert brreg.import_bulk(subs).status == RegistryRun.Status.OK
    fact = BrregUnit.objects.get(orgnr=branch)
    assert fact.is_sub_unit and fact.parent_orgnr == main
    assert not StagedBrregUnit.objects.exists()
    # A snapshot tells the change feed where to start.
    assert FeedCursor.objects.get(feed="brreg:enheter").since is not None


def test_importing_the_same_file_twice_changes_nothing_the_second_time(tmp_path):
    path = write_bulk(tmp_path / "enheter.json.gz", [unit(orgnr_for(13)), unit(orgnr_for(14))])
    assert brreg.import_bulk(path).records_changed == 2
    again = brreg.import_bulk(path)
    assert again.status == RegistryRun.Status.OK
    assert again.records_changed == 0


def test_a_truncated_bulk_file_changes_nothing(tmp_path):
    orgnr = orgnr_for(15)
    stored_unit(orgnr)
    path = write_bulk(
        tmp_path / "enheter.json.gz", [unit(orgnr, konkurs=True), unit(orgnr_for(16))]
    )
    data = gzip.decompress(path.read_bytes())
    (tmp_path / "cut.json.gz").write_bytes(gzip.compress(data[: len(data) // 2]))

    run = brreg.import_bulk(tmp_path / "cut.json.gz")

    assert run.status == RegistryRun.Status.FAILED
    assert BrregUnit.objects.get(orgnr=orgnr).bankrupt is False
    assert BrregUnit.objects.count() == 1
    assert not StagedBrregUnit.objects.exists()


def test_a_mass_exit_from_the_vat_register_is_held_until_staff_approve(tmp_path):
    orgnrs = [orgnr_for(100 + i) for i in range(30)]
    for orgnr in orgnrs:
        stored_unit(orgnr)
    path = write_bulk(
        tmp_path / "enheter.json.gz",
        [unit(o, registrertIMvaregisteret=i >= 25) for i, o in enumerate(orgnrs)],
    )

    run = brreg.import_bulk(path)

    assert run.status == RegistryRun.Status.HELD
    assert run.records_lost == 25
    assert "held for review" in run.message
    assert BrregUnit.objects.filter(registered_in_vat=True).count() == 30  # last known facts stay
    assert StagedBrregUnit.objects.filter(run=run).count() == 25  # only what would change

    sources.approve_run(run_id=run.pk, staff_username="saksbehandler")

    run.refresh_from_db()
    assert run.status == RegistryRun.Status.APPROVED
    assert run.reviewed_by == "saksbehandler"
    assert BrregUnit.objects.filter(registered_in_vat=True).count() == 5
    assert not StagedBrregUnit.objects.exists()


def test_a_rejected_mass_change_leaves_the_last_known_facts(tmp_path):
    orgnrs = [orgnr_for(200 + i) for i in range(25)]
    for orgnr in orgnrs:
        stored_unit(orgnr)
    path = write_bulk(tmp_path / "enheter.json.gz", [unit(o, konkurs=True) for o in orgnrs])
    run = brreg.import_bulk(path)
    assert run.status == RegistryRun.Status.HELD

    sources.reject_run(run_id=run.pk, staff_username="saksbehandler")

    assert RegistryRun.objects.get(pk=run.pk).status == RegistryRun.Status.REJECTED
    assert not BrregUnit.objects.filter(bankrupt=True).exists()
    assert not StagedBrregUnit.objects.exists()
    with pytest.raises(services.RunRefused):
        sources.approve_run(run_id=run.pk, staff_username="saksbehandler")


def test_import_command_reports_the_run(tmp_path, capsys):
    path = write_bulk(tmp_path / "enheter.json.gz", [unit(orgnr_for(17))])
    call_command("registries", "import", "brreg", str(path))
    out = capsys.readouterr().out
    assert "brreg-bulk: ok" in out
    assert "read 1" in out


@pytest.mark.parametrize(
    "data",
    [
        unit(orgnr_for(20)),
        unit(orgnr_for(21), 'Tab\tand \\ "quotes" Øst', slettedato="2024-02-29", konkurs=True),
        unit(orgnr_for(22), naeringskode1=None, organisasjonsform=None, forretningsadresse=None),
        sub_unit(orgnr_for(23), orgnr_for(20)),
        {"organisasjonsnummer": orgnr_for(24), "navn": "Minimal AS"},
    ],
)
def test_the_fast_bulk_mapping_gives_exactly_what_the_general_one_gives(data):
    read_at = timezone.now()
    tail = brreg.copy_tail(read_at, "file:enheter.json.gz")
    sub = "overordnetEnhet" in data
    general = brreg.unit_row(data, sub_unit=sub, read_at=read_at, read_from="file:enheter.json.gz")
    orgnr, digest, line = brreg.unit_copy_line(data, sub_unit=sub, tail=tail)
    assert line == brreg.copy_line(general, tail)
    assert (orgnr, digest) == (
        data["organisasjonsnummer"],
        brreg.fact_digest(brreg.copy_body(general)),
    )


@pytest.mark.parametrize(
    "data", [{"navn": "no number"}, ["not", "an", "object"], {"organisasjonsnummer": "12345"}]
)
def test_the_fast_bulk_mapping_refuses_what_the_general_one_refuses(data):
    from hmskort.http import MalformedData

    with pytest.raises(MalformedData):
        brreg.unit_copy_line(data, sub_unit=False, tail="x")


@pytest.mark.parametrize("order", [1, -1])
def test_a_re_import_applies_exactly_the_units_that_changed_sorted_or_not(tmp_path, order):
    orgnrs = [orgnr_for(900 + i) for i in range(6)][::order]
    first = write_bulk(tmp_path / "first.json.gz", [unit(o) for o in orgnrs])
    assert brreg.import_bulk(first).records_changed == 6
    second = write_bulk(
        tmp_path / "second.json.gz",
        [
            unit(
                o, konkurs=(o == orgnrs[2]), navn="Nytt" if o == orgnrs[4] else "Bygg og Anlegg AS"
            )
            for o in orgnrs
        ],
    )
    run = brreg.import_bulk(second)
    assert (run.records_read, run.records_changed) == (6, 2)
    assert list(BrregUnit.objects.filter(bankrupt=True).values_list("orgnr", flat=True)) == [
        orgnrs[2]
    ]
    assert BrregUnit.objects.get(orgnr=orgnrs[4]).name == "Nytt"
