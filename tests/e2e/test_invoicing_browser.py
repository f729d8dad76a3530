"""The invoicing pages in Chromium: axe-core finds no violation at 1280 and 390 px in both
languages, nothing scrolls sideways, and a credit without a reason puts the focus on the
error summary."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from hmskort.cards import services as cards
from hmskort.orders import invoicing
from tests.conftest import verify_staff_session
from tests.e2e.test_accessibility import WIDTHS, browser, scan, scrolls_sideways  # noqa: F401
from tests.orders.conftest import known_to_the_register, world  # noqa: F401
from tests.orders.shipping import STAFF, shipped_order

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("known_to_the_register"),
]


@pytest.fixture
def invoice(world):  # noqa: F811
    inv = invoicing.invoice_order(order=shipped_order(world, 3), actor=STAFF, staff="t")
    lines = list(inv.lines.order_by("position"))
    for line in lines[:2]:
        cards.card_terminate(card=line.order_line.card, actor=STAFF)
    invoicing.credit_note_create(
        invoice=inv, line_ids=[lines[0].pk], reason="Feil", actor=STAFF, staff="t"
    )
    return inv


def staff_context(browser, live_server, make_staff, width):  # noqa: F811
    client = verify_staff_session(Client(), make_staff("administrator", "ada"))
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


def test_the_invoicing_pages_have_no_axe_violation_and_no_sideways_scroll(
    live_server,
    browser,  # noqa: F811
    make_staff,
    invoice,
):
    n = invoice.number
    urls = [
        ("/kontor/fakturaer/", "/en/office/invoices/"),
        (f"/kontor/fakturaer/{n}/", f"/en/office/invoices/{n}/"),
        (
            "/kontor/fakturaer/?date_from=2026-02-01&date_to=2026-01-01",
            "/en/office/invoices/?date_from=2026-02-01&date_to=2026-01-01",
        ),
    ]
    problems = []
    for width in WIDTHS:
        context = staff_context(browser, live_server, make_staff, width)
        page = context.new_page()
        for pair in urls:
            for url in pair:
                page.goto(live_server.url + url)
                problems += [f"{width}px {url}: {v}" for v in scan(page)]
                if scrolls_sideways(page):
                    problems.append(f"{width}px {url}: scrolls sideways")
        context.close()
    assert problems == [], "\n".join(problems)


def test_a_credit_without_a_reason_shows_the_summary_with_the_focus_on_it(
    live_server,
    browser,  # noqa: F811
    make_staff,
    invoice,
):
    context = staff_context(browser, live_server, make_staff, 390)
    page = context.new_page()
    page.goto(f"{live_server.url}/kontor/fakturaer/{invoice.number}/")

    page.locator("input[name=lines]").first.check()
    page.get_by_role("button", name="Lag kreditnotaen").click()

    assert page.locator("#error-summary").is_visible()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.locator("#id_reason").get_attribute("aria-invalid") == "true"
    context.close()
