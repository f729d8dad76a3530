"""The invoicing pages in Chromium: a credit without a reason puts the focus on the error summary.
(Their axe-core scan at 1280 and 390 px is with every other back-office page's, in
tests/e2e/test_accessibility.py.)"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import verify_staff_session
from tests.e2e.test_accessibility import browser  # noqa: F401
from tests.orders.conftest import known_to_the_register, world  # noqa: F401
from tests.orders.shipping import invoiced_with_a_credit_note

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("known_to_the_register"),
]


@pytest.fixture
def invoice(world):  # noqa: F811
    return invoiced_with_a_credit_note(world)


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
