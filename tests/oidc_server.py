"""A real OpenID Connect provider for the tests: oidc-provider-mock served over HTTP on 127.0.0.1.

Claims are set per user through the provider's own HTTP API (`PUT /users/{sub}`). The provider
copies a user's claims into the id_token it signs, which lets a test give a token a wrong nonce,
a past expiry, a low `acr` or a bad `pid` — still signed by the provider's real key.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from urllib.parse import urlsplit

import httpx
import oidc_provider_mock
import werkzeug.serving

CLIENT_ID = "hmskort-test-client"
CLIENT_SECRET = "hmskort-test-secret"


class Provider:
    def __init__(self, url: str) -> None:
        self.url = url

    def set_user(self, sub: str, **claims) -> None:
        response = httpx.put(f"{self.url}/users/{sub}", json=claims, timeout=5)
        response.raise_for_status()

    def authorize(self, authorization_url: str, sub: str) -> str:
        """Log in at the provider as `sub`; returns the redirect back to the client."""
        response = httpx.post(authorization_url, data={"sub": sub}, timeout=5)
        assert response.status_code == 302, response.text
        return response.headers["location"]

    def log_in_with_browser(
        self, page, base_url: str, *, pid: str, acr: str = "idporten-loa-substantial", **claims
    ) -> None:
        """Log in to hmskort in a real browser (a Playwright page) as the person `pid` (other
        claims: given_name, family_name, …): the login page's ID-porten link, then the
        provider's own form."""
        sub = f"person-{pid}"
        self.set_user(sub, pid=pid, acr=acr, **claims)
        page.goto(f"{base_url}/logg-inn/")
        page.get_by_role("link", name="Logg inn med ID-porten").click()
        page.locator("input[name=sub]").fill(sub)
        page.get_by_role("button", name="Authorize").click()

    def settings(self) -> dict:
        return {
            "HMSKORT_OIDC_ISSUER": self.url,
            "HMSKORT_OIDC_CLIENT_ID": CLIENT_ID,
            "HMSKORT_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "HMSKORT_OIDC_ACR": "idporten-loa-substantial",
            "HMSKORT_TEST_LOGIN": False,
        }


@contextlib.contextmanager
def running_provider():
    previous = os.environ.get("AUTHLIB_INSECURE_TRANSPORT")
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # the provider serves plain HTTP locally
    server = werkzeug.serving.make_server(
        "127.0.0.1", 0, oidc_provider_mock.app(require_nonce=True), threaded=True
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield Provider(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
        if previous is None:
            os.environ.pop("AUTHLIB_INSECURE_TRANSPORT", None)
        else:
            os.environ["AUTHLIB_INSECURE_TRANSPORT"] = previous


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def now() -> int:
    return int(time.time())
