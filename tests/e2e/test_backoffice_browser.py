"""The issuer's back office in a real browser: from the verification queue to a shipped card.

A verifier logs in with password and TOTP code, opens the queue, sees the photo and the photo ID
side by side and approves two cards ordered to two delivery addresses; a production user makes a
batch, marks it produced and ships it (one shipment per address); the cards then check as valid
on the public check page and on their QR landing.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest

from hmskort.cards.models import Card, CardState
from hmskort.cards.numbers import format_card_number
from hmskort.orders.fulfilment_models import ProductionBatch, Shipment

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_register(settings):
    """Ordering asks Enhetsregisteret about a company it has not read; here that fails fast."""
    settings.HMSKORT_BRREG_URL = "http://127.0.0.1:9"
    settings.HMSKORT_REGISTRY_RETRIES = 1


def _two_waiting_cards():
    """Two cards waiting for verification, ordered by one company to two delivery addresses."""
    from hmskort.audit.services import Actor
    from hmskort.orders.services import Holder, documents_submit, order_place
    from tests.factories import (
        BrregUnitFactory,
        CompanyFactory,
        EmploymentFactory,
        PersonFactory,
        RoleFactory,
        delivery_address,
    )
    from tests.orders.conftest import upload

    company = CompanyFactory(name="Acme Bygg AS")
    # Enhetsregisteret has been read for the company: alive and in the VAT register.
    BrregUnitFactory(orgnr=company.orgnr, name="Acme Bygg AS")
    manager = PersonFactory(given_name="Siri", family_name="Sjef")
    RoleFactory(company=company, national_id=manager.national_id, code="DAGL")
    lines = []
    for given, street in (("Ola", "Byggveien 2"), ("Kari", "Tomteveien 9")):
        person = PersonFactory(given_name=given, family_name="Arbeider")
        EmploymentFactory(person=person, employer=company, starts_on=dt.date(2020, 1, 1))
        address = delivery_address(company, street=street)
        order = order_place(
            company=company,
            orderer=manager,
            holders=[Holder(person_id=person.pk)],
            delivery_address=address,
            idempotency_key=uuid.uuid4().hex,
        ).order
        line = order.lines.get()
        documents_submit(
            line=line, upload=upload(), actor=Actor.system("test"), uploaded_by="orderer"
        )
        lines.append(line)
    return lines


def _images_side_by_side(page) -> None:
    """Both images are loaded (not broken) and stand next to each other, not one under the other."""
    from playwright.sync_api import expect

    photo = page.get_by_role("img", name="Bildet til kortet")
    document = page.get_by_role("img", name="Legitimasjonen, forside")
    expect(photo).to_be_visible()
    expect(document).to_be_visible()
    for image in (photo, document):
        image.evaluate("img => img.decode()")
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    left, right = photo.bounding_box(), document.bounding_box()
    assert left is not None and right is not None
    assert left["x"] + left["width"] <= right["x"]
    assert right["y"] < left["y"] + left["height"]


def test_a_verifier_approves_and_production_ships_and_the_cards_check_as_valid(
    live_server, chromium, log_staff_in
):
    from playwright.sync_api import expect

    ola_line, kari_line = _two_waiting_cards()

    # The verifier: the queue, the photo and the photo ID side by side, approve.
    verifier = log_staff_in("verifier", username="vera")
    verifier.locator("main").get_by_role("link", name="Kontroll").click()
    expect(verifier.get_by_role("heading", name="Kontroll")).to_be_visible()
    for line in (ola_line, kari_line):
        name = line.holder.full_name
        verifier.get_by_role("link", name=name).click()
        expect(verifier.get_by_role("heading", name=f"Kontroller {name}")).to_be_visible()
        expect(verifier.get_by_text("Acme Bygg AS").first).to_be_visible()
        _images_side_by_side(verifier)
        verifier.get_by_role("button", name="Godkjenn bilde og legitimasjon").click()
        number = format_card_number(line.card.number)
        expect(verifier.get_by_text(f"Godkjent: kort {number} går til produksjon.")).to_be_visible()
        expect(verifier.get_by_role("link", name=name)).to_have_count(0)
    expect(verifier.get_by_text("Ingen kort venter på kontroll.")).to_be_visible()

    # Production: make a batch, mark it produced, ship it.
    production = log_staff_in("production", username="per")
    production.locator("main").get_by_role("link", name="Produksjon og utsending").click()
    expect(production.get_by_text("2 godkjente kort venter på produksjon.")).to_be_visible()
    production.get_by_role("button", name="Lag et parti av de godkjente kortene").click()
    batch = ProductionBatch.objects.get()
    expect(production.get_by_role("heading", name=f"Parti {batch.pk}")).to_be_visible()
    for line in (ola_line, kari_line):
        expect(production.get_by_role("cell", name=line.holder.full_name)).to_be_visible()
    production.get_by_role("button", name="Merk som produsert").click()
    expect(production.get_by_text(f"Parti {batch.pk}: Produsert.")).to_be_visible()
    production.get_by_role("button", name="Send (utsteder kortene)").click()
    expect(production.get_by_text(f"Parti {batch.pk}: Sendt.")).to_be_visible()
    shipments = production.get_by_role("region", name="Sendinger").get_by_role("listitem")
    expect(shipments).to_have_count(2)
    expect(shipments.filter(has_text="Byggveien 2")).to_have_count(1)
    expect(shipments.filter(has_text="Tomteveien 9")).to_have_count(1)
    with production.expect_download() as download:
        shipments.filter(has_text="Tomteveien 9").get_by_role("link").click()
    assert download.value.path().read_bytes().startswith(b"%PDF")
    expect(production.get_by_role("cell", name="Utstedt")).to_have_count(2)

    assert Shipment.objects.filter(batch=batch).count() == 2
    assert set(Card.objects.values_list("state", flat=True)) == {CardState.ISSUED}

    # Anyone checks the card: valid, on the check page and on the card's QR landing.
    card = Card.objects.get(pk=ola_line.card_id)
    card = Card.objects.get(pk=ola_line.card_id)
    public = chromium.new_page(locale="nb-NO")
    public.set_default_timeout(20000)
    public.goto(f"{live_server.url}/sjekk/")
    public.get_by_label("Kortnummer").fill(format_card_number(card.number))
    public.get_by_role("button", name="Sjekk kortet").click()
    expect(public.locator("#check-status")).to_have_text(re.compile("Gyldig"))
    expect(public.get_by_text("Ola Arbeider")).to_be_visible()
    public.goto(f"{live_server.url}/sjekk/{card.qr_token}/")
    expect(public.locator("#check-status")).to_have_text(re.compile("Gyldig"))
    # The QR landing shows the photo the verifier approved, to compare with the face.
    photo = public.get_by_role("img", name=re.compile("Ola Arbeider"))
    expect(photo).to_be_visible()
    photo.evaluate("img => img.decode()")
    assert photo.evaluate("img => img.complete && img.naturalWidth > 0")
