"""Shared browser fixtures for the end-to-end tests.

`chromium` is Debian's Chromium driven by Playwright. `log_staff_in` logs a back-office staff user
in through the real login form (username, password and a TOTP code computed from the user's
device, as an authenticator app would) and returns the page, on the back office's home page:

    def test_something(live_server, log_staff_in):
        page = log_staff_in("verifier")                       # Norwegian, 1280 px wide
        page = log_staff_in("support", locale="en-GB", width=390, username="sam")
        page = log_staff_in("administrator", bypass_csp=True)   # lets a test inject axe-core
        page.goto(f"{live_server.url}/kontor/brukerstotte/")

Each call opens a new browser context (its own cookies), so two staff users can work side by side
in one test. The user is created with the role (`make_staff`) unless one with that username exists.
"""

from __future__ import annotations

import os
import re
import time

import pytest
from django.db import connections

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
STAFF_PASSWORD = "a-long-password-1"


def totp_code(user) -> str:
    """The six-digit code the user's authenticator app shows now (or for the next time step if
    this step's code has been used already: the login accepts a code once, and one step ahead)."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def chromium(monkeypatch):
    """A Playwright Chromium browser (Debian's), closed when the test ends."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's async-safety check would
    # otherwise refuse the database calls the test makes while it runs.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # While Playwright's event loop runs in this thread, Django (asgiref.local) keeps the
        # thread's database connections apart from the test's own: close the ones opened then, or
        # one outlives the test database ("being accessed by other users" when it is dropped).
        connections.close_all()


@pytest.fixture
def log_staff_in(live_server, chromium, make_staff):
    """log_staff_in(role, *, username=None, locale="nb-NO", width=1280, bypass_csp=False)
    -> a logged-in Page."""
    from django.contrib.auth.models import User
    from playwright.sync_api import expect

    def _log_in(
        role: str,
        *,
        username: str | None = None,
        locale: str = "nb-NO",
        width=1280,
        bypass_csp: bool = False,
    ):
        name = username or f"{role}-user"
        user = User.objects.filter(username=name).first() or make_staff(role, name)
        context = chromium.new_context(
            locale=locale, viewport={"width": width, "height": 900}, bypass_csp=bypass_csp
        )
        page = context.new_page()
        page.set_default_timeout(20000)
        english = locale.startswith("en")
        page.goto(f"{live_server.url}{'/en/office/login/' if english else '/kontor/logg-inn/'}")
        page.locator("input[name=username]").fill(name)
        page.locator("input[name=password]").fill(STAFF_PASSWORD)
        page.locator("input[name=otp_token]").fill(totp_code(user))
        page.locator("form.staff-login button[type=submit]").click()
        # The back office's home page ("Saksbehandling" / "Back office") after a good login.
        expect(page).to_have_url(re.compile(r"/(en/office|kontor)/$"))
        return page

    return _log_in
