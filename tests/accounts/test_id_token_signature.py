"""The id_token's signature: a provider served by pytest-httpserver with its own RSA keys.

oidc-provider-mock always signs with its own key, so a token signed with another key, or with
no signature at all, needs a provider whose keys the test holds. Real HTTP, real signatures.
"""

from __future__ import annotations

import base64
import datetime as dt
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import override_settings
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from tests.factories import national_id_for

pytestmark = pytest.mark.django_db

PID = national_id_for(dt.date(1984, 7, 1), 9)
CLIENT_ID = "hmskort-signature-test"

PUBLISHED = RSAKey.generate_key(2048, parameters={"kid": "published"})
FOREIGN = RSAKey.generate_key(2048, parameters={"kid": "published"})  # same kid, other key
ROTATED = RSAKey.generate_key(2048, parameters={"kid": "rotated"})


def serve_provider(httpserver, *, keys: list[RSAKey]):
    issuer = httpserver.url_for("").rstrip("/")
    httpserver.expect_request("/.well-known/openid-configuration").respond_with_json(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks",
            "id_token_signing_alg_values_supported": ["RS256"],
        }
    )
    httpserver.expect_request("/jwks").respond_with_json(
        {"keys": [key.as_dict(private=False) for key in keys]}
    )
    return issuer


def id_token(issuer: str, nonce: str, key: RSAKey, alg: str = "RS256") -> str:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": CLIENT_ID,
        "sub": "pairwise-sub",
        "iat": now,
        "exp": now + 120,
        "nonce": nonce,
        "acr": "idporten-loa-substantial",
        "pid": PID,
    }
    return jwt.encode({"alg": alg, "kid": key.kid}, claims, key)


def log_in_with_token(client, httpserver, sign):
    issuer = httpserver.url_for("").rstrip("/")
    with override_settings(
        HMSKORT_OIDC_ISSUER=issuer,
        HMSKORT_OIDC_CLIENT_ID=CLIENT_ID,
        HMSKORT_OIDC_CLIENT_SECRET="s3cret",
        HMSKORT_BASE_URL="http://testserver",
    ):
        start = client.get("/logg-inn/id-porten/")
        query = parse_qs(urlsplit(start["Location"]).query)
        token = sign(issuer, query["nonce"][0])
        httpserver.expect_request("/token", method="POST").respond_with_json(
            {"access_token": "at", "token_type": "Bearer", "id_token": token}
        )
        return client.get("/auth/callback", {"code": "c0de", "state": query["state"][0]})


def test_a_token_signed_with_the_published_key_is_accepted(client, httpserver):
    serve_provider(httpserver, keys=[PUBLISHED])

    response = log_in_with_token(client, httpserver, lambda iss, n: id_token(iss, n, PUBLISHED))

    assert response.status_code == 302
    assert "person_id" in client.session


def test_a_token_signed_with_another_key_is_refused(client, httpserver):
    serve_provider(httpserver, keys=[PUBLISHED])

    response = log_in_with_token(client, httpserver, lambda iss, n: id_token(iss, n, FOREIGN))

    assert response.status_code == 400
    assert "person_id" not in client.session


def _unsigned(issuer, nonce):
    _, payload, _ = id_token(issuer, nonce, PUBLISHED).split(".")
    header = base64.urlsafe_b64encode(b'{"alg":"none","kid":"published"}').rstrip(b"=").decode()
    return f"{header}.{payload}."


def _hmac_signed(issuer, nonce):
    now = int(time.time())
    claims = {"iss": issuer, "aud": CLIENT_ID, "sub": "s", "iat": now, "exp": now + 120}
    claims.update({"nonce": nonce, "acr": "idporten-loa-substantial", "pid": PID})
    secret = OctKey.import_key("s3cret-s3cret-s3cret-s3cret-s3cret")
    return jwt.encode({"alg": "HS256", "kid": "published"}, claims, secret)


@pytest.mark.parametrize("sign", [_unsigned, _hmac_signed], ids=["alg-none", "hmac"])
def test_a_token_with_no_signature_or_a_shared_secret_signature_is_refused(
    client, httpserver, sign
):
    serve_provider(httpserver, keys=[PUBLISHED])

    response = log_in_with_token(client, httpserver, sign)

    assert response.status_code == 400
    assert "person_id" not in client.session


def test_a_new_signing_key_is_fetched_when_the_provider_rotates_its_keys(client, httpserver):
    serve_provider(httpserver, keys=[PUBLISHED])
    log_in_with_token(client, httpserver, lambda iss, n: id_token(iss, n, PUBLISHED))
    client.post("/logg-ut/")
    httpserver.clear()
    serve_provider(httpserver, keys=[PUBLISHED, ROTATED])

    response = log_in_with_token(client, httpserver, lambda iss, n: id_token(iss, n, ROTATED))

    assert response.status_code == 302
    assert "person_id" in client.session


def test_a_provider_that_cannot_be_reached_gives_a_clear_page(client):
    with override_settings(HMSKORT_OIDC_ISSUER="http://127.0.0.1:9", HMSKORT_OIDC_CLIENT_ID="x"):
        response = client.get("/logg-inn/id-porten/")

    assert response.status_code == 503
    assert "Innloggingstjenesten svarer ikke akkurat nå" in response.content.decode()
