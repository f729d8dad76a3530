"""Register facts reach the cards: the change feed on a fresh deployment, organisation form and
main unit, clean failures, bulk files as they are named and packed (issue 17).

End to end: a register stand-in (a real HTTP server) answers as Enhetsregisteret does; what a
checker sees comes from `GET /api/v1/cards/{n}`.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest
import time_machine
from django.utils import timezone
from werkzeug import Request, Response

from hmskort.cards.recompute import recompute_cards
from hmskort.companies.models import Company
from hmskort.companies.selectors import access_for
from hmskort.registries import brreg, sources
from hmskort.registries.models import BrregUnit, FeedCursor, RegistryRun
from tests.factories import (
    BrregUnitFactory,
    CardFactory,
    CompanyFactory,
    PersonFactory,
    RoleFactory,
    employed_person,
    orgnr_for,
    registered_company,
)

from .payloads import API, sub_unit, unit, write_bulk

pytestmark = pytest.mark.django_db

UNIT_TYPE = "application/vnd.brreg.enhetsregisteret.enhet.v2+json"
SUB_UNIT_TYPE = "application/vnd.brreg.enhetsregisteret.underenhet.v2+json"
ENK = {"kode": "ENK", "beskrivelse": "Enkeltpersonforetak"}


class FeedStandIn:
    """`/oppdateringer/enheter` as Enhetsregisteret answers it: the changes from an
    `oppdateringsid` (inclusive) or from a `dato`, paged; a request with neither is refused."""

    def __init__(self, httpserver, kind: str = "enheter") -> None:
        self.kind = kind
        self.changes: list[dict] = []
        self.asked: list[dict] = []
        httpserver.expect_request(f"{API}/oppdateringer/{kind}").respond_with_handler(self.answer)

    def publish(self, orgnr: str, at: dt.datetime, change: str = "Endring") -> None:
        self.changes.append(
            {
                "oppdateringsid": 5000 + len(self.changes),
                "dato": at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "organisasjonsnummer": orgnr,
                "endringstype": change,
            }
        )

    def answer(self, request: Request) -> Response:
        args = request.args
        self.asked.append(dict(args))
        if "oppdateringsid" in args:
            first = int(args["oppdateringsid"])
            found = [c for c in self.changes if c["oppdateringsid"] >= first]
        elif "dato" in args:
            since = dt.datetime.fromisoformat(args["dato"].replace("Z", "+00:00"))
            found = [
                c
                for c in self.changes
                if dt.datetime.fromisoformat(c["dato"].replace("Z", "+00:00")) >= since
            ]
        else:
            return Response("oppdateringsid or dato is required", status=400)
        size, page = int(args.get("size", 20)), int(args.get("page", 0))
        items = found[page * size : (page + 1) * size]
        key = "oppdaterteUnderenheter" if self.kind == "underenheter" else "oppdaterteEnheter"
        body: dict = {
            "page": {
                "size": size,
                "totalElements": len(found),
                "totalPages": -(-len(found) // size),
                "number": page,
            }
        }
        if items:
            body["_embedded"] = {key: items}
        return Response(json.dumps(body), content_type="application/json")


@pytest.fixture
def t0() -> dt.datetime:
    """A little later than any fact the factories store (read "now"): earlier facts never win."""
    return timezone.now().astimezone(dt.UTC).replace(second=0, microsecond=0) + dt.timedelta(
        hours=1
    )


def valid_card(company=None):
    company = company or registered_company()
    card = CardFactory(company=company, holder=employed_person(company))
    recompute_cards(card_ids=[card.pk], cause="test")
    return card


def seen_by_a_checker(client, card) -> bool:
    response = client.get(f"/api/v1/cards/{card.number}")
    assert response.status_code == 200
    return response.json()["valid"]


# --- The change feed on a fresh deployment ---------------------------------------------------


def test_on_a_fresh_deployment_a_change_published_after_the_first_sync_reaches_the_card(
    brreg_api, client, django_capture_on_commit_callbacks, t0
):
    card = valid_card()
    orgnr = card.company.orgnr
    feed = FeedStandIn(brreg_api)
    brreg_api.expect_request(f"{API}/enheter/{orgnr}").respond_with_json(
        unit(orgnr, card.company.name, konkurs=True)
    )
    assert not FeedCursor.objects.exists()  # no bulk import, no position

    with time_machine.travel(t0), django_capture_on_commit_callbacks(execute=True):
        first = brreg.sync_feed("enheter")
    feed.publish(orgnr, at=t0 + dt.timedelta(minutes=2))
    later = t0 + dt.timedelta(minutes=5)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        second = brreg.sync_feed("enheter")

    assert (first.status, second.status) == (RegistryRun.Status.OK, RegistryRun.Status.OK)
    assert BrregUnit.objects.get(orgnr=orgnr).bankrupt is True
    assert seen_by_a_checker(client, card) is False
    # The first run asked from its own start; the second from that same time, not its own.
    assert feed.asked[0]["dato"] == feed.asked[1]["dato"] == t0.strftime("%Y-%m-%dT%H:%M:00.000Z")
    assert FeedCursor.objects.get(feed="brreg:enheter").last_update_id == 5000


def test_once_an_update_id_is_known_the_feed_asks_from_the_next_one(brreg_api, t0):
    orgnr = orgnr_for(1701)
    BrregUnitFactory(orgnr=orgnr)
    feed = FeedStandIn(brreg_api)
    brreg_api.expect_request(f"{API}/enheter/{orgnr}").respond_with_json(unit(orgnr))
    with time_machine.travel(t0):
        brreg.sync_feed("enheter")
    feed.publish(orgnr, at=t0 + dt.timedelta(minutes=1))
    with time_machine.travel(t0 + dt.timedelta(minutes=2)):
        brreg.sync_feed("enheter")
        brreg.sync_feed("enheter")

    assert feed.asked[2] == {"size": "1000", "page": "0", "oppdateringsid": "5001"}


# --- Organisation form and main unit ---------------------------------------------------------


def test_a_sole_proprietor_first_seen_through_ordering_gets_its_form_and_the_owner_rule(
    brreg_api, client, django_capture_on_commit_callbacks
):
    # Ordering knows only the number and the name; the owner holds no employment, only INNH.
    company = CompanyFactory(organisation_form="")
    owner = PersonFactory()
    RoleFactory(company=company, national_id=owner.national_id, code="INNH")
    card = CardFactory(company=company, holder=owner)
    recompute_cards(card_ids=[card.pk], cause="test")
    assert seen_by_a_checker(client, card) is False
    brreg_api.expect_request(
        f"{API}/enheter/{company.orgnr}", headers={"Accept": UNIT_TYPE}
    ).respond_with_json(unit(company.orgnr, "Snekker Hansen", organisasjonsform=ENK))

    with django_capture_on_commit_callbacks(execute=True):
        sources.request_lookup(orgnrs=[company.orgnr])

    company.refresh_from_db()
    assert (company.name, company.organisation_form) == ("Snekker Hansen", "ENK")
    assert seen_by_a_checker(client, card) is True


def test_a_change_of_organisation_form_in_the_feed_moves_the_card(
    brreg_api, client, django_capture_on_commit_callbacks, t0
):
    company = registered_company(organisation_form="AS")
    owner = PersonFactory()
    RoleFactory(company=company, national_id=owner.national_id, code="INNH")
    card = CardFactory(company=company, holder=owner)
    recompute_cards(card_ids=[card.pk], cause="test")
    assert seen_by_a_checker(client, card) is False  # an AS owner needs an employment
    FeedCursor.objects.create(feed="brreg:enheter", last_update_id=4999)
    feed = FeedStandIn(brreg_api)
    feed.publish(company.orgnr, at=t0)
    brreg_api.expect_request(f"{API}/enheter/{company.orgnr}").respond_with_json(
        unit(company.orgnr, company.name, organisasjonsform=ENK)
    )

    with django_capture_on_commit_callbacks(execute=True):
        run = brreg.sync_feed("enheter")

    assert run.companies_recomputed == 1
    company.refresh_from_db()
    assert company.organisation_form == "ENK"
    assert seen_by_a_checker(client, card) is True


def test_a_sub_unit_first_seen_through_ordering_is_tied_to_its_main_unit(
    brreg_api, django_capture_on_commit_callbacks
):
    branch = CompanyFactory(organisation_form="", card_type=None)
    main = orgnr_for(1702)
    brreg_api.expect_request(f"{API}/enheter/{branch.orgnr}").respond_with_data("", status=404)
    brreg_api.expect_request(
        f"{API}/underenheter/{branch.orgnr}", headers={"Accept": SUB_UNIT_TYPE}
    ).respond_with_json(sub_unit(branch.orgnr, main, "Hoved AS avd. Bergen"))
    brreg_api.expect_request(
        f"{API}/enheter/{main}", headers={"Accept": UNIT_TYPE}
    ).respond_with_json(unit(main, "Hoved AS"))

    with django_capture_on_commit_callbacks(execute=True):
        sources.request_lookup(orgnrs=[branch.orgnr])

    branch.refresh_from_db()
    assert branch.organisation_form == "BEDR"
    assert branch.parent is not None
    assert (branch.parent.orgnr, branch.parent.name) == (main, "Hoved AS")
    # The main unit's role holders now act for the sub-unit.
    manager = PersonFactory()
    RoleFactory(company=branch.parent, national_id=manager.national_id, code="DAGL")
    assert access_for(manager.national_id, branch) is not None


# --- Failures end the run as failed and change nothing ---------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (200, "impossible date", "slettedato"),
        (410, "impossible date", "slettedato"),
        (200, "nul in name", "NUL"),
        (200, "nul in address", "NUL"),
    ],
)
def test_a_unit_that_cannot_be_stored_fails_the_run_and_changes_nothing(
    brreg_api, client, django_capture_on_commit_callbacks, t0, status, body, message
):
    card = valid_card()
    orgnr = card.company.orgnr
    answer = {
        "impossible date": unit(orgnr, slettedato="2024-02-30"),
        "nul in name": unit(orgnr, "Bygg\u0000 AS", konkurs=True),
        "nul in address": unit(
            orgnr, konkurs=True, forretningsadresse={"adresse": ["Gate\u00001"], "land": "Norge"}
        ),
    }[body]
    if status == 410:
        answer = {"organisasjonsnummer": orgnr, "slettedato": "2024-02-30"}
    FeedCursor.objects.create(feed="brreg:enheter", last_update_id=4999)
    feed = FeedStandIn(brreg_api)
    feed.publish(orgnr, at=t0)
    brreg_api.expect_request(f"{API}/enheter/{orgnr}").respond_with_json(answer, status=status)
    before = BrregUnit.objects.values().get(orgnr=orgnr)

    with django_capture_on_commit_callbacks(execute=True):
        run = brreg.sync_feed("enheter")

    run.refresh_from_db()
    assert run.status == RegistryRun.Status.FAILED
    assert message in run.message and orgnr in run.message
    assert BrregUnit.objects.values().get(orgnr=orgnr) == before
    assert FeedCursor.objects.get(feed="brreg:enheter").last_update_id == 4999
    assert seen_by_a_checker(client, card) is True


@pytest.mark.parametrize(
    "bad",
    [
        {"navn": "Nul\u0000 AS"},
        {"forretningsadresse": {"adresse": ["Nul\u0000gata 1"]}},
        {"organisasjonsform": {"kode": "A\u0000S"}},
        {"slettedato": "2024-02-30"},
    ],
)
def test_a_bulk_file_with_a_unit_that_cannot_be_stored_fails_and_changes_nothing(tmp_path, bad):
    good = orgnr_for(1710)
    path = write_bulk(tmp_path / "enheter_alle.json.gz", [unit(good), unit(orgnr_for(1711), **bad)])

    run = brreg.import_bulk(path)

    run.refresh_from_db()
    assert run.status == RegistryRun.Status.FAILED
    assert orgnr_for(1711) in run.message
    assert not BrregUnit.objects.exists()


# --- Bulk files as they are named and packed -------------------------------------------------


def test_a_sub_unit_file_is_known_by_its_name_in_any_case(tmp_path):
    main, branch = orgnr_for(1720), orgnr_for(1721)
    path = write_bulk(tmp_path / "Underenheter.json.gz", [sub_unit(branch, main)])

    assert brreg.import_bulk(path).status == RegistryRun.Status.OK
    assert BrregUnit.objects.get(orgnr=branch).is_sub_unit is True


def test_a_sub_unit_file_is_known_by_its_content_when_its_name_says_nothing(tmp_path):
    main, branch = orgnr_for(1722), orgnr_for(1723)
    path = write_bulk(tmp_path / "download.bin", [sub_unit(branch, main)])

    assert brreg.import_bulk(path).status == RegistryRun.Status.OK
    assert BrregUnit.objects.get(orgnr=branch).is_sub_unit is True


@pytest.mark.parametrize("name", ["enheter.json", "ENHETER.JSON.GZ"])
def test_gzip_is_known_by_its_content_not_its_name(tmp_path, name):
    orgnr = orgnr_for(1724)
    path = tmp_path / name
    path.write_bytes(gzip.compress(json.dumps([unit(orgnr)]).encode()))

    assert brreg.import_bulk(path).status == RegistryRun.Status.OK
    assert BrregUnit.objects.get(orgnr=orgnr).is_sub_unit is False


def test_a_plain_json_file_named_gz_is_read_as_plain_json(tmp_path):
    orgnr = orgnr_for(1725)
    path = tmp_path / "enheter_alle.json.gz"
    path.write_text(json.dumps([unit(orgnr)]))

    assert brreg.import_bulk(path).status == RegistryRun.Status.OK
    assert BrregUnit.objects.filter(orgnr=orgnr).exists()


def test_an_organisation_form_code_is_stored_whole(tmp_path):
    orgnr = orgnr_for(1726)
    code = "ABCDEFGHIJKL"  # longer than the 8 characters it used to be cut to
    path = write_bulk(
        tmp_path / "enheter_alle.json.gz",
        [unit(orgnr, organisasjonsform={"kode": code, "beskrivelse": "Ny form"})],
    )
    company = CompanyFactory(orgnr=orgnr)

    assert brreg.import_bulk(path).status == RegistryRun.Status.OK
    assert BrregUnit.objects.get(orgnr=orgnr).organisation_form == code
    company.refresh_from_db()
    assert company.organisation_form == code


def test_the_bulk_download_asks_for_the_pinned_versions(brreg_api, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    for kind, media in (("enheter", "enhet"), ("underenheter", "underenhet")):
        brreg_api.expect_request(
            f"{API}/{kind}/lastned",
            headers={"Accept": f"application/vnd.brreg.enhetsregisteret.{media}.v2+gzip"},
        ).respond_with_data(gzip.compress(b"[]"), content_type="application/octet-stream")

    runs = brreg.sync_bulk()

    assert [r.status for r in runs] == [RegistryRun.Status.OK] * 2


def test_the_main_unit_a_sub_unit_names_becomes_a_company_only_when_the_register_knows_it(
    tmp_path,
):
    main, branch = orgnr_for(1730), orgnr_for(1731)
    CompanyFactory(orgnr=branch, organisation_form="", card_type=None)
    brreg.import_bulk(write_bulk(tmp_path / "underenheter.json.gz", [sub_unit(branch, main)]))
    assert not Company.objects.filter(orgnr=main).exists()

    brreg.import_bulk(write_bulk(tmp_path / "enheter.json.gz", [unit(main, "Hoved AS")]))

    assert Company.objects.get(orgnr=branch).parent.orgnr == main
