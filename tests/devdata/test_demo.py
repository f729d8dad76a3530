"""The demo world: every card's computed validity is what var/demo.json promises."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from hmskort.cards.models import Card
from hmskort.cards.rules import REASONS
from hmskort.companies.models import Company, Role
from hmskort.identifiers import is_valid_national_id, is_valid_orgnr

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(tmp_path):
    path = tmp_path / "demo.json"
    call_command("demo", output=str(path), stdout=StringIO())
    return json.loads(path.read_text())


def test_every_demo_card_comes_out_of_the_recompute_as_demo_json_promises(demo):
    cards = {c.number: c for c in Card.objects.all()}
    for promised in demo["cards"]:
        card = cards[promised["number"]]
        assert (card.valid, card.reasons) == (promised["valid"], promised["reasons"]), promised
        assert card.qr_token == promised["qr_token"]
        assert card.company.orgnr == promised["company_orgnr"]
        assert card.holder.full_name == promised["holder_name"]


def test_the_demo_shows_every_reason_and_valid_cards_of_both_types(demo):
    shown = {code for c in demo["cards"] for code in c["reasons"]}
    assert shown == set(REASONS)
    valid_types = {c["card_type"] for c in demo["cards"] if c["valid"]}
    assert valid_types == {"construction", "cleaning"}


def test_demo_persons_can_log_in_with_regular_numbers_and_hold_their_roles(demo):
    for person in demo["persons"]:
        assert is_valid_national_id(person["national_id"], allow_test=False)
        for company in person["companies"]:
            assert is_valid_orgnr(company["orgnr"])
            assert Role.objects.filter(
                company__orgnr=company["orgnr"],
                national_id=person["national_id"],
                code=company["role"],
                source="local",
            ).exists()


def test_the_demo_has_every_kind_of_company(demo):
    assert Company.objects.filter(parent__isnull=False).exists()
    assert Company.objects.filter(is_staffing_agency=True).exists()
    assert Company.objects.filter(card_type__code="cleaning").exists()
    assert Company.objects.filter(organisation_form="ENK").exists()
    assert Company.objects.filter(is_foreign=True).exists()


def test_loading_the_demo_twice_changes_nothing(demo, tmp_path):
    counts = (Card.objects.count(), Company.objects.count())
    path = tmp_path / "again.json"
    call_command("demo", output=str(path), stdout=StringIO())
    assert (Card.objects.count(), Company.objects.count()) == counts
    assert json.loads(path.read_text()) == demo


def test_the_demo_has_orders_in_several_states_and_working_upload_links(demo, client):
    from hmskort.orders.models import Order

    statuses = {o["status"] for o in demo["orders"]}
    assert {"placed", "cancelled"} <= statuses
    assert Order.objects.count() == len(demo["orders"])
    assert demo["upload_links"]
    for link in demo["upload_links"]:
        assert link["birth_date"] and link["holder_name"]
        path = link["url"].split("://", 1)[1].split("/", 1)[1]
        assert client.get("/" + path).status_code == 200


def test_loading_the_demo_twice_places_no_order_twice(tmp_path, demo):
    from hmskort.orders.models import Order

    count = Order.objects.count()
    call_command("demo", output=str(tmp_path / "again.json"), stdout=StringIO())
    again = json.loads((tmp_path / "again.json").read_text())
    assert Order.objects.count() == count
    assert len(again["upload_links"]) == len(demo["upload_links"])


def test_the_demo_has_a_shipped_order_with_its_invoice(demo, tmp_path):
    from hmskort.orders.models import Invoice

    (invoice,) = demo["invoices"]
    stored = Invoice.objects.get(number=invoice["number"])
    assert stored.buyer_orgnr == invoice["orgnr"]
    assert len(invoice["cards"]) == 2
    assert invoice["gross_amount"] == str(stored.gross_amount)
    order = next(o for o in demo["orders"] if o["key"] == invoice["order_key"])
    assert {c["state"] for c in order["cards"]} == {"issued"}
    call_command("demo", output=str(tmp_path / "again.json"), stdout=StringIO())
    assert Invoice.objects.count() == 1


def test_the_demo_renders_its_production_batch_into_this_runs_var_directory(demo, settings):
    from pathlib import Path

    from hmskort.orders.fulfilment_models import ProductionBatch

    pdf = Path(demo["batch"]["pdf"])
    assert pdf.parent == settings.VAR_DIR
    assert pdf.read_bytes().startswith(b"%PDF")
    batch = ProductionBatch.objects.get(pk=demo["batch"]["id"])
    assert sorted(batch.items.values_list("line__card__number", flat=True)) == sorted(
        demo["batch"]["cards"]
    )
