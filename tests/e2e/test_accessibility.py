"""axe-core (from npm, injected by Playwright) finds no violation on any page, at 1280 and 390 px,
in both languages; at 390 px no page scrolls sideways and the employees' valid/not-valid column
stays in view."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from tests.factories import (
    CardFactory,
    EmploymentFactory,
    PersonFactory,
    RoleFactory,
    SubUnitFactory,
    national_id_for,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.NODE_MODULES) / "axe-core" / "axe.min.js"
WIDTHS = (1280, 390)


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def world():
    """A company with sub-units, employees in every status, a delegation; and a second person
    who is only a delegate (for the 403 page)."""
    from hmskort.audit.services import Actor
    from hmskort.companies.services import grant_delegation

    role = RoleFactory(code="DAGL", company__name="Acme Bygg AS")
    boss = PersonFactory(national_id=role.national_id, given_name="Siri", family_name="Sjef")
    company = role.company
    unit = SubUnitFactory(parent=company, name="Acme avd. Bergen")
    today = timezone.localdate()
    for i, card in enumerate(
        [
            {"expires_on": today + dt.timedelta(days=400)},
            {"expires_on": today + dt.timedelta(days=20)},
            {"valid": False, "reasons": ["not_in_vat_register", "employment_not_reported"]},
            {},
        ]
    ):
        person = PersonFactory(given_name=f"Ansatt{i}", family_name="Hansen")
        EmploymentFactory(person=person, employer=unit if i % 2 else company)
        if card:
            CardFactory(holder=person, company=company, **card)
    delegate = PersonFactory(national_id=national_id_for(dt.date(1990, 5, 5), 7))
    delegation = grant_delegation(
        company=company,
        grantor_national_id=role.national_id,
        national_id=delegate.national_id,
        grantee_name="Per Hansen",
        actor=Actor.system("test"),
    )
    return {"company": company, "boss": boss, "delegate": delegate, "delegation": delegation}


def logged_in_context(browser, live_server, person, width):
    from django.contrib.sessions.backends.db import SessionStore

    # bypass_csp: the page's Content-Security-Policy would refuse the injected axe-core script.
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    if person is not None:
        session = SessionStore()
        session["person_id"] = person.pk
        session["login_method"] = "test"
        session["login_at"] = timezone.now().isoformat()
        session.create()
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session.session_key,
                    "url": live_server.url,
                }
            ]
        )
    return context


def scan(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
        for v in result["violations"]
    ]


def scrolls_sideways(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")


def pages(world) -> list[tuple[str, str, object]]:
    company = world["company"]
    card = CardFactory(company=company)
    o = company.orgnr
    d = world["delegation"].pk
    return [
        ("/", "/en/", None),
        ("/sjekk/", "/en/check/", None),
        (f"/sjekk/?number={card.number}", f"/en/check/?number={card.number}", None),
        (f"/sjekk/{card.qr_token}/", f"/en/check/{card.qr_token}/", None),
        ("/sjekk/?number=123", "/en/check/?number=123", None),
        ("/logg-inn/", "/en/login/", None),
        ("/driftsstatus/", "/en/status/", None),
        ("/driftsmeldinger/", "/en/service-messages/", None),
        ("/finnes-ikke/", "/en/no-such-page/", None),
        ("/virksomheter/", "/en/companies/", "boss"),
        (f"/virksomheter/{o}/", f"/en/companies/{o}/", "boss"),
        (f"/virksomheter/{o}/ansatte/", f"/en/companies/{o}/employees/", "boss"),
        (f"/virksomheter/{o}/kort/", f"/en/companies/{o}/cards/", "boss"),
        (f"/virksomheter/{o}/tilganger/ny/", f"/en/companies/{o}/access/new/", "boss"),
        (f"/virksomheter/{o}/tilganger/{d}/", f"/en/companies/{o}/access/{d}/", "boss"),
        (f"/virksomheter/{o}/tilganger/ny/", f"/en/companies/{o}/access/new/", "delegate"),
    ]


def test_every_page_has_no_axe_violation_and_no_sideways_scroll_at_1280_and_390(
    live_server, browser, world
):
    problems = []
    with override_settings(HMSKORT_TEST_LOGIN=True):  # the test login's button is scanned too
        for width in WIDTHS:
            contexts = {
                who: logged_in_context(browser, live_server, world.get(who), width)
                for who in (None, "boss", "delegate")
            }
            for nb_url, en_url, who in pages(world):
                page = contexts[who].new_page()
                for url in (nb_url, en_url):
                    page.goto(live_server.url + url)
                    for violation in scan(page):
                        problems.append(f"{width}px {url}: {violation}")
                    if scrolls_sideways(page):
                        problems.append(f"{width}px {url}: scrolls sideways")
                page.close()
            for context in contexts.values():
                context.close()
    assert problems == [], "\n".join(problems)


def test_the_valid_column_of_the_employees_overview_is_in_view_at_390_px(
    live_server, browser, world
):
    from playwright.sync_api import expect

    context = logged_in_context(browser, live_server, world["boss"], 390)
    page = context.new_page()
    page.goto(f"{live_server.url}/virksomheter/{world['company'].orgnr}/ansatte/")

    tag = page.locator("table .ds-tag").first
    expect(tag).to_be_visible()
    box = tag.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert not scrolls_sideways(page)
    context.close()
