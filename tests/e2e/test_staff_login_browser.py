"""The staff login in a real browser: password and a code from the authenticator app."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_verifier_logs_in_with_password_and_code_and_sees_only_their_sections(log_staff_in):
    from playwright.sync_api import expect

    page = log_staff_in("verifier", username="kari")
    expect(page.get_by_role("heading", name="Saksbehandling")).to_be_visible()
    expect(page.get_by_text("Innlogget som kari.")).to_be_visible()
    expect(page.locator("main").get_by_role("link", name="Kontroll")).to_be_visible()
    expect(page.locator("main").get_by_role("link", name="Priser")).to_have_count(0)


def test_the_same_staff_user_logs_in_twice_in_a_row_in_english(log_staff_in):
    from playwright.sync_api import expect

    log_staff_in("administrator", username="ada")
    page = log_staff_in("administrator", username="ada", locale="en-GB", width=390)
    expect(page.get_by_role("heading", name="Back office")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
