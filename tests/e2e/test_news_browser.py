"""Support writes a news item in the back office and the front page shows it."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_support_corrects_a_missing_title_then_publishes_and_the_front_page_shows_it(
    live_server, chromium, log_staff_in
):
    from playwright.sync_api import expect

    page = log_staff_in("support", username="siv", width=390)
    page.locator("main").get_by_role("link", name="Nyheter").click()
    page.get_by_role("link", name="Skriv en nyhet").click()
    page.get_by_label("Tittel på bokmål").fill("Nytt kortformat")
    page.get_by_label("Tekst på bokmål").fill("Kortene får nytt utseende fra mars.")
    page.get_by_label("Tekst på engelsk").fill("The cards get a new look from March.")
    page.get_by_role("button", name="Lagre og publiser").click()

    # The summary takes focus, names the field, and the field is marked invalid.
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Skriv tittelen på engelsk.")
    expect(page.get_by_label("Tittel på engelsk")).to_have_attribute("aria-invalid", "true")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    summary.get_by_role("link").click()
    expect(page.get_by_label("Tittel på engelsk")).to_be_focused()
    page.get_by_label("Tittel på engelsk").fill("A new card design")
    page.get_by_role("button", name="Lagre og publiser").click()
    expect(page.get_by_text("Nyheten er publisert.")).to_be_visible()

    reader = chromium.new_page(locale="en-GB")
    reader.goto(f"{live_server.url}/en/")
    expect(reader.get_by_role("heading", name="A new card design")).to_be_visible()
    expect(reader.get_by_text("The cards get a new look from March.")).to_be_visible()
