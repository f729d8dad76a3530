"""The alert settings page (also with its errors), the renewal page, the renewal summary and the
unsubscribe page: no axe-core violation at 1280 and 390 px in both languages, no sideways scroll.
(The same scan as tests/e2e/test_accessibility.py, `problems_on`, over this feature's pages.)"""

from __future__ import annotations

import pytest
from django.test import override_settings

from hmskort.alerts.services import unsubscribe_token
from tests.e2e.test_accessibility import (  # noqa: F401 - fixtures
    WIDTHS,
    browser,
    logged_in_context,
    problems_on,
    world,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_alert_and_renewal_pages_have_no_axe_violation_and_no_sideways_scroll(
    live_server,
    browser,  # noqa: F811 - the fixture imported above
    world,  # noqa: F811 - the fixture imported above
):
    # The world already holds one delivery address (tests/e2e/test_accessibility.py).
    company, boss = world["company"], world["boss"]
    o = company.orgnr
    token = unsubscribe_token(person_id=boss.pk, company_id=company.pk, kind="invalid")
    problems = []

    with override_settings(HMSKORT_TEST_LOGIN=True):
        for width in WIDTHS:
            anonymous = logged_in_context(browser, live_server, None, width)
            logged_in = logged_in_context(browser, live_server, boss, width)
            for prefix, alerts, renew, stop, save, go_on in (
                ("/virksomheter", "varsler", "forny", "/varsler/avmelding", "Lagre", "Gå videre"),
                ("/en/companies", "alerts", "renew", "/en/alerts/unsubscribe", "Save", "Continue"),
            ):
                page = logged_in.new_page()
                page.goto(f"{live_server.url}{prefix}/{o}/{alerts}/")
                problems += problems_on(page, width, page.url)
                page.fill("#id_email", "")
                page.check("#id_invalid_digest")
                page.get_by_role("button", name=save).click()
                page.wait_for_selector("#error-summary")
                problems += problems_on(page, width, f"{page.url} with errors")
                page.goto(f"{live_server.url}{prefix}/{o}/{renew}/")
                problems += problems_on(page, width, page.url)
                page.locator("input[name=cards]").first.check()
                page.locator("input[name=delivery_address]").first.check()
                page.get_by_role("button", name=go_on).click()
                page.wait_for_selector(".price-summary")
                problems += problems_on(page, width, f"{page.url} (summary)")
                page.close()
                page = anonymous.new_page()
                page.goto(f"{live_server.url}{stop}/{token}/")
                problems += problems_on(page, width, page.url)
                page.close()
            anonymous.close()
            logged_in.close()
    assert problems == [], "\n".join(problems)
