"""The card check page in a real browser: type a number, see valid; type a typo, see why."""

import pytest

from hmskort.cards.numbers import format_card_number
from tests.factories import CardFactory

# The `chromium` fixture (tests/e2e/conftest.py) skips the test where Chromium is not installed.
pytestmark = [pytest.mark.e2e]


@pytest.fixture
def page(chromium):
    context = chromium.new_context(locale="en-GB")
    yield context.new_page()
    context.close()


@pytest.mark.django_db(transaction=True)
def test_a_checker_types_a_number_sees_valid_then_types_a_typo_and_sees_the_message(
    live_server, page
):
    card = CardFactory(holder__given_name="Kari", holder__family_name="Nordmann")
    blocked = []
    page.on(
        "console",
        lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.goto(f"{live_server.url}/en/check/")
    page.get_by_label("Card number").fill(format_card_number(card.number))
    page.get_by_role("button", name="Check card").click()
    status = page.locator("#check-status")
    status.wait_for()
    assert "Valid" in status.inner_text()
    assert "Kari Nordmann" in page.content()

    typo = card.number[:-1] + str((int(card.number[-1]) + 1) % 10)
    page.get_by_label("Card number").fill(typo)
    page.get_by_role("button", name="Check card").click()
    message = page.locator("#number-error")
    message.wait_for()
    assert "mistyped" in message.inner_text()
    # htmx and the page run under the Content-Security-Policy without anything being blocked.
    assert blocked == []
