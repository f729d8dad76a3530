"""Ordering in a real browser: log in through a real OIDC provider, add a delivery address,
order two cards (one photo uploaded by the orderer, one through the employee's own link), see
the order in the history; and report a card lost, which orders its replacement in one step, and
order another when the issuer refuses that one."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import override_settings

from hmskort.cards.models import Card, CardState
from hmskort.registries.models import BrregUnit
from tests.factories import (
    CardFactory,
    EmploymentFactory,
    PersonFactory,
    RoleFactory,
    delivery_address,
    national_id_for,
)
from tests.oidc_server import running_provider
from tests.orders.images import jpeg
from tests.registries.payloads import API, unit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIRI = national_id_for(dt.date(1979, 11, 23), 7)
NINA_BORN = dt.date(1993, 4, 12)
NINA = national_id_for(NINA_BORN, 8)


@pytest.fixture
def browser(chromium):
    return chromium


@pytest.fixture
def images(tmp_path):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(jpeg(700, 900))
    document = tmp_path / "passport.jpg"
    document.write_bytes(jpeg(1000, 700))
    return photo, document


@pytest.fixture
def register(httpserver):
    """Enhetsregisteret's stand-in (a real HTTP server on 127.0.0.1): a company first seen through
    ordering is looked up there once the order commits."""

    def knows(company) -> dict:
        httpserver.expect_request(f"{API}/enheter/{company.orgnr}").respond_with_json(
            unit(company.orgnr, company.name)
        )
        return {"HMSKORT_BRREG_URL": httpserver.url_for(API)}

    return knows


def _company():
    from hmskort.cards.models import CardType

    role = RoleFactory(
        national_id=SIRI,
        code="DAGL",
        company__name="Acme Bygg AS",
        company__card_type=CardType.objects.get(code="construction"),
    )
    PersonFactory(national_id=SIRI, given_name="Siri", family_name="Sjef")
    ola = PersonFactory(given_name="Ola", family_name="Arbeider")
    EmploymentFactory(person=ola, employer=role.company)
    return role.company, ola


def _log_in(page, provider, live_server):
    provider.log_in_with_browser(
        page, live_server.url, pid=SIRI, given_name="Siri", family_name="Sjef"
    )


def _upload(page, photo, document):
    page.get_by_label("Bilde (JPEG eller PNG, høyst 10 MB)").set_input_files(str(photo))
    page.get_by_label("Type legitimasjon").select_option("passport")
    page.get_by_label("Legitimasjon: siden med bildet").set_input_files(str(document))
    page.get_by_role("button", name="Last opp").click()


def test_a_manager_orders_two_cards_one_uploaded_by_the_employee_through_the_link(
    live_server, browser, images, register
):
    from playwright.sync_api import expect

    company, _ola = _company()
    photo, document = images
    page = browser.new_page(locale="nb-NO", viewport={"width": 390, "height": 844})
    page.set_default_timeout(15000)
    with (
        running_provider() as provider,
        override_settings(
            **provider.settings(), HMSKORT_BASE_URL=live_server.url, **register(company)
        ),
    ):
        _log_in(page, provider, live_server)
        page.get_by_role("link", name="Acme Bygg AS").click()
        page.get_by_role("link", name="Leveringsadresser").click()
        page.get_by_label("Mottaker").fill("Acme Bygg AS")
        page.get_by_label("Gateadresse").fill("Byggveien 2")
        page.get_by_label("Postnummer").fill("0150")
        page.get_by_label("Poststed").fill("Oslo")
        page.get_by_role("button", name="Legg til adressen").click()
        expect(page.get_by_text("Leveringsadressen er lagt til.")).to_be_visible()

        page.goto(f"{live_server.url}/virksomheter/{company.orgnr}/bestill/")
        page.get_by_label(re.compile("Ola Arbeider")).check()
        row = page.locator("fieldset", has_text="Person 1")
        row.get_by_label("Fødselsnummer eller D-nummer").fill(NINA)
        row.get_by_label("Fornavn").fill("Nina")
        row.get_by_label("Etternavn").fill("Ny")
        page.get_by_label(re.compile("Byggveien 2")).check()
        page.get_by_role("button", name="Gå videre til oppsummeringen").click()

        expect(page.get_by_role("heading", name="Oppsummering av bestillingen")).to_be_visible()
        expect(page.get_by_text("260,00 kr")).to_be_visible()
        # Nothing scrolls sideways at 390 px.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.get_by_label("Din e-postadresse").fill("siri@acme.example")
        page.get_by_role("button", name="Send bestillingen").click()
        expect(page.get_by_text("Takk. Bestillingen er sendt.")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        nina_card = page.locator("li.line", has_text="Nina Ny")
        link = nina_card.locator("code").inner_text()
        page.locator("li.line", has_text="Ola Arbeider").get_by_role(
            "link", name=re.compile("Last opp bilde og legitimasjon")
        ).click()
        _upload(page, photo, document)
        expect(
            page.get_by_text("Bilde og legitimasjon for Ola Arbeider er mottatt.")
        ).to_be_visible()

        # The employee opens the link without logging in.
        employee = browser.new_page(locale="nb-NO")
        employee.goto(link)
        expect(employee.get_by_text("har bestilt et HMS-kort")).to_be_visible()
        employee.get_by_label("Fødselsdatoen din").fill(NINA_BORN.isoformat())
        employee.get_by_role("button", name="Fortsett").click()
        _upload(employee, photo, document)
        expect(employee.get_by_role("heading", name="Takk")).to_be_visible()

        page.get_by_role("link", name="Bestillingshistorikk").click()
        expect(page.get_by_role("link", name=re.compile("Bestilling"))).to_be_visible()
        page.get_by_role("link", name=re.compile("Bestilling")).first.click()
        expect(page.get_by_text("Venter på kontroll")).to_have_count(2)
    assert set(Card.objects.values_list("state", flat=True)) == {CardState.AWAITING_VERIFICATION}
    # The company, first seen through this order, was read from the register.
    assert BrregUnit.objects.filter(orgnr=company.orgnr, name="Acme Bygg AS").exists()


def test_a_manager_reports_a_card_lost_and_a_replacement_is_ordered(live_server, browser, register):
    from playwright.sync_api import expect

    from hmskort.audit.services import Actor
    from hmskort.cards import services as cards

    company, ola = _company()
    delivery_address(company)
    card = CardFactory(company=company, holder=ola)
    page = browser.new_page(locale="nb-NO")
    page.set_default_timeout(15000)
    with (
        running_provider() as provider,
        override_settings(
            **provider.settings(), HMSKORT_BASE_URL=live_server.url, **register(company)
        ),
    ):
        _log_in(page, provider, live_server)
        page.goto(f"{live_server.url}/virksomheter/{company.orgnr}/kort/")
        page.get_by_role("link", name=re.compile(card.number[:4])).click()
        page.get_by_label("Det er mistet").check()
        page.get_by_label(re.compile("Byggveien 2")).check()
        # Never ordered before: the issuer's messages about the new card need an address.
        page.get_by_label("Din e-postadresse").fill("leder@acme.example")
        page.get_by_role("button", name="Meld fra og bestill nytt kort").click()
        expect(page.get_by_text("er sperret straks, og et nytt kort er bestilt")).to_be_visible()
        # The issuer refuses the new card: the lost card's page offers another one.
        cards.card_reject(card=Card.objects.get(replaces=card), actor=Actor.staff("t"), note="-")
        page.goto(f"{live_server.url}/virksomheter/{company.orgnr}/kort/{card.number}/")
        expect(page.get_by_text("ble kansellert eller avvist")).to_be_visible()
        # The address given with the report is filled in this time.
        expect(page.get_by_label("Din e-postadresse")).to_have_value("leder@acme.example")
        page.get_by_role("button", name="Bestill nytt kort").click()
        expect(page.get_by_text("Et nytt kort er bestilt i stedet for kort")).to_be_visible()
    card.refresh_from_db()
    assert card.state == CardState.LOST and not card.valid
    assert list(
        Card.objects.filter(replaces=card).order_by("pk").values_list("state", flat=True)
    ) == [
        CardState.REJECTED,
        CardState.AWAITING_DOCUMENTS,
    ]
