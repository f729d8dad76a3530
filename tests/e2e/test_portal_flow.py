"""The main flow in a real browser: log in through a real OIDC provider, see My companies, open a
company, give a person access and see it listed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from tests.factories import PersonFactory, RoleFactory, SubUnitFactory, national_id_for
from tests.oidc_server import running_provider

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIRI = national_id_for(dt.date(1979, 11, 23), 5)
PER = national_id_for(dt.date(1994, 2, 17), 6)


@pytest.fixture
def browser_page(chromium):
    page = chromium.new_page(locale="nb-NO")
    page.set_default_timeout(15000)
    return page


def test_a_managing_director_logs_in_with_id_porten_and_gives_a_colleague_access(
    live_server, browser_page
):
    from playwright.sync_api import expect

    # card_type=None: an earlier transactional test may have flushed the seeded card types.
    role = RoleFactory(
        national_id=SIRI, code="DAGL", company__name="Acme Bygg AS", company__card_type=None
    )
    PersonFactory(national_id=SIRI, given_name="Siri", family_name="Sjef")
    SubUnitFactory(parent=role.company, name="Acme Bygg avd. Bergen")
    page = browser_page

    with (
        running_provider() as provider,
        override_settings(**provider.settings(), HMSKORT_BASE_URL=live_server.url),
    ):
        provider.log_in_with_browser(
            page, live_server.url, pid=SIRI, given_name="Siri", family_name="Sjef"
        )

        expect(page).to_have_url(f"{live_server.url}/virksomheter/")
        expect(page.get_by_role("heading", name="Mine virksomheter")).to_be_visible()
        expect(page.get_by_text("Daglig leder (DAGL)")).to_be_visible()
        page.get_by_role("link", name="Acme Bygg AS").click()

        expect(page.get_by_role("heading", name="Acme Bygg AS")).to_be_visible()
        expect(page.get_by_text("Acme Bygg avd. Bergen")).to_be_visible()
        page.get_by_role("link", name="Gi en person tilgang").click()
        page.get_by_label("Fødselsnummer eller D-nummer").fill(PER)
        page.get_by_label("Navn").fill("Per Hansen")
        page.get_by_role("button", name="Gi tilgang").click()

        expect(page.get_by_text("Per Hansen har nå tilgang til Acme Bygg AS.")).to_be_visible()
        access_table = page.locator(
            "section", has=page.get_by_role("heading", name="Hvem som har tilgang")
        )
        expect(access_table.get_by_role("cell", name="Per Hansen")).to_be_visible()
        expect(access_table.get_by_role("cell", name="*******" + PER[-4:])).to_be_visible()
        page.get_by_role("link", name="Se historikken").click()
        expect(page.get_by_text("Tilgang gitt: Per Hansen")).to_be_visible()
