"""axe-core (from npm, injected by Playwright) finds no violation on any page, at 1280 and 390 px,
in both languages; at 390 px no page scrolls sideways and the employees' valid/not-valid column
stays in view.

Pages: the public pages, the company portal (company, employees with filters, cards, history,
access, ordering: order form, summary, orders, order, card (issued; lost with its replacement
refused), addresses, CSV order, the upload-link page, my cards), the maintenance banner (a window
is scheduled in the world, so every page shows it) and the maintenance page (during a window),
and the back office (with the invoices, an invoice with a credit note, and the invoice list's
error for a wrong date range), logged in through the real staff login with a TOTP code
(`log_staff_in` in conftest.py). At 390 px no table is wider than the screen: tables stack
(class "stacked"), they do not scroll sideways."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import (
    BrregUnitFactory,
    CardFactory,
    EmploymentFactory,
    PersonFactory,
    RoleFactory,
    SubUnitFactory,
    delivery_address,
    national_id_for,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.NODE_MODULES) / "axe-core" / "axe.min.js"
WIDTHS = (1280, 390)


@pytest.fixture
def browser(chromium):
    return chromium


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
    return {
        "company": company,
        "boss": boss,
        "delegate": delegate,
        "delegation": delegation,
        **_ordering_world(company, boss),
        "window": _upcoming_maintenance(),
    }


def _ordering_world(company, boss) -> dict:
    """A delivery address, an order waiting for a photo (with its upload link) and a card."""
    from hmskort.cards.models import CardType
    from hmskort.orders.services import Holder, order_place, upload_link_renew

    company.card_type = CardType.objects.get(code="construction")
    company.save()
    BrregUnitFactory(orgnr=company.orgnr, name=company.name)
    address = delivery_address(company, attention="Siri Sjef")
    ola = PersonFactory(given_name="Ola", family_name="Bestilt")
    EmploymentFactory(person=ola, employer=company)
    order = order_place(
        company=company,
        orderer=boss,
        holders=[Holder(person_id=ola.pk)],
        delivery_address=address,
        idempotency_key=uuid.uuid4().hex,
    ).order
    line = order.lines.get()
    upload = upload_link_renew(line=line, orderer=boss)
    card = CardFactory(company=company, holder=PersonFactory(given_name="Kari", family_name="Kort"))
    # Reported lost, its replacement refused: its page offers a new card.
    lost = CardFactory(company=company, state="lost", valid=False, reasons=["card_lost"])
    CardFactory(company=company, holder=lost.holder, replaces=lost, state="rejected", valid=False)
    return {
        "address": address,
        "order": order,
        "line": line,
        "upload_path": upload[upload.index("/", len("https://")) :],
        "card": card,
        "lost_card": lost,
        "draft_for": ola,
    }


def _upcoming_maintenance():
    from hmskort.audit.services import Actor
    from hmskort.site.services import schedule_window

    starts = timezone.now() + dt.timedelta(days=2)
    return schedule_window(
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        message_nb="Vi oppgraderer databasen.",
        message_en="We are upgrading the database.",
        actor=Actor.system("test"),
    )


def logged_in_context(browser, live_server, person, width, extra=None):
    from django.contrib.sessions.backends.db import SessionStore

    # bypass_csp: the page's Content-Security-Policy would refuse the injected axe-core script.
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    if person is not None:
        session = SessionStore()
        session["person_id"] = person.pk
        session["login_method"] = "test"
        session["login_at"] = timezone.now().isoformat()
        session.update(extra or {})
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


OVERFLOWING = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
               && ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
  .slice(0, 3)
  .map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : '')
            + ' ' + Math.round(e.getBoundingClientRect().right) + 'px')
  .join(', ')"""


WIDE_TABLES = """() => [...document.querySelectorAll('table')]
  .filter(t => t.getBoundingClientRect().right > window.innerWidth + 1)
  .map(t => 'table ' + Math.round(t.getBoundingClientRect().width) + 'px wide')
  .join(', ')"""


def sideways(page, width: int, url: str) -> list[str]:
    """The problems, naming the elements that stick out, if the page scrolls sideways or a table
    is wider than the screen (scrolling in a box of its own instead of stacking)."""
    problems = []
    if scrolls_sideways(page):
        problems.append(f"{width}px {url}: scrolls sideways ({page.evaluate(OVERFLOWING)})")
    if tables := page.evaluate(WIDE_TABLES):
        problems.append(f"{width}px {url}: wider than the screen, not stacked: {tables}")
    return problems


def problems_on(page, width: int, label: str) -> list[str]:
    """What is wrong with the page as it is shown now, each line starting with the width and the
    label (its address): every axe-core violation, sideways scrolling, a table wider than the
    screen. The one scan every page goes through."""
    return [f"{width}px {label}: {v}" for v in scan(page)] + sideways(page, width, label)


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
        (
            f"/virksomheter/{o}/ansatte/?status=not_valid&sort=status&q=hansen",
            f"/en/companies/{o}/employees/?status=not_valid&sort=status&q=hansen",
            "boss",
        ),
        both("portal:company_history", "boss", orgnr=o),
        both("portal:order_new", "boss", orgnr=o),
        both("portal:order_review", "drafter", orgnr=o),
        both("portal:order_csv", "boss", orgnr=o),
        both("portal:orders", "boss", orgnr=o),
        both("portal:order", "boss", orgnr=o, pk=world["order"].pk),
        both(
            "portal:order_line_documents",
            "boss",
            orgnr=o,
            pk=world["order"].pk,
            line=world["line"].pk,
        ),
        both("portal:card", "boss", orgnr=o, number=world["card"].number),
        both("portal:card", "boss", orgnr=o, number=world["lost_card"].number),
        both("portal:addresses", "boss", orgnr=o),
        both("portal:address_edit", "boss", orgnr=o, pk=world["address"].pk),
        both("portal:my_cards", "boss"),
        (world["upload_path"], "/en" + world["upload_path"], None),
        both("accounts:staff_login", None),
    ]


def both(name: str, who, **kwargs) -> tuple[str, str, object]:
    """The page's address in Norwegian and in English, and who looks at it."""
    with translation.override("nb"):
        nb = reverse(name, kwargs=kwargs)
    with translation.override("en"):
        en = reverse(name, kwargs=kwargs)
    return nb, en, who


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
            # The boss half-way through an order: the summary page shows the draft.
            draft = {
                "order_draft": {
                    "key": uuid.uuid4().hex,
                    "orgnr": world["company"].orgnr,
                    "holders": [{"person_id": world["draft_for"].pk}],
                    "address": world["address"].pk,
                }
            }
            contexts["drafter"] = logged_in_context(
                browser, live_server, world["boss"], width, extra=draft
            )
            for nb_url, en_url, who in pages(world):
                page = contexts[who].new_page()
                for url in (nb_url, en_url):
                    page.goto(live_server.url + url)
                    if page.url != live_server.url + url:
                        problems.append(f"{width}px {url}: went to {page.url}, not scanned")
                    problems += problems_on(page, width, url)
                page.close()
            for context in contexts.values():
                context.close()
    assert problems == [], "\n".join(problems)


def test_the_maintenance_page_has_no_axe_violation_and_no_sideways_scroll(
    live_server, browser, world
):
    from hmskort.site.models import MaintenanceWindow

    now = timezone.now()
    MaintenanceWindow.objects.filter(pk=world["window"].pk).update(
        starts_at=now - dt.timedelta(minutes=5), ends_at=now + dt.timedelta(hours=1)
    )
    problems = []
    for width in WIDTHS:
        context = logged_in_context(browser, live_server, world["boss"], width)
        page = context.new_page()
        for url in (
            f"/virksomheter/{world['company'].orgnr}/",
            f"/en/companies/{world['company'].orgnr}/",
        ):
            response = page.goto(live_server.url + url)
            assert response is not None and response.status == 503
            problems += problems_on(page, width, url)
        context.close()
    assert problems == [], "\n".join(problems)


def back_office_pages(world) -> list[tuple[str, str]]:
    from hmskort.orders.fulfilment_models import ProductionBatch
    from hmskort.site.models import NewsItem
    from tests.orders.shipping import invoiced_with_a_credit_note

    batch = ProductionBatch.objects.create(issue_date=timezone.localdate(), created_by="test")
    card = world["card"]
    invoice = invoiced_with_a_credit_note(
        SimpleNamespace(company=world["company"], manager=world["boss"], address=world["address"])
    )
    pages = [
        both("backoffice:home", None),
        both("backoffice:verification", None),
        both("backoffice:verification_line", None, pk=world["waiting_line"].pk),
        both("backoffice:production", None),
        both("backoffice:batch", None, pk=batch.pk),
        both("backoffice:support", None),
        both("backoffice:card", None, pk=card.pk),
        both("backoffice:company", None, orgnr=world["company"].orgnr),
        both("backoffice:prices", None),
        both("backoffice:maintenance", None),
        both("backoffice:news", None),
        both("backoffice:news_new", None),
        both("backoffice:news_item", None, pk=NewsItem.objects.order_by("pk").first().pk),
        both("backoffice:invoices", None),
        both("backoffice:invoice", None, number=invoice.number),
    ]
    nb, en, _who = both("backoffice:support", None)
    pages.append((f"{nb}?q={card.holder.family_name}", f"{en}?q={card.holder.family_name}"))
    nb, en, _who = both("backoffice:invoices", None)
    wrong_range = "?date_from=2026-02-01&date_to=2026-01-01"  # the form's error
    pages.append((nb + wrong_range, en + wrong_range))
    return [(nb, en) for nb, en, *_rest in pages]


def test_every_back_office_page_has_no_axe_violation_and_no_sideways_scroll(
    live_server, log_staff_in, world
):
    from hmskort.audit.services import Actor
    from hmskort.orders.services import documents_submit
    from tests.orders.conftest import upload

    # A card waiting for verification: its photo and photo ID are on the verification page.
    documents_submit(
        line=world["line"], upload=upload(), actor=Actor.system("test"), uploaded_by="orderer"
    )
    world["waiting_line"] = world["line"]
    pages = back_office_pages(world)
    problems = []
    for width in WIDTHS:
        page = log_staff_in("administrator", username="ada", width=width, bypass_csp=True)
        for nb_url, en_url in pages:
            for url in (nb_url, en_url):
                page.goto(live_server.url + url)
                if page.url != live_server.url + url:
                    problems.append(f"{width}px {url}: went to {page.url}, not scanned")
                problems += problems_on(page, width, url)
        page.context.close()
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
