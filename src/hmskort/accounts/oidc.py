"""OpenID Connect login (ID-porten): authorization code flow with PKCE S256, state and nonce.

The provider is found by discovery from HMSKORT_OIDC_ISSUER. The id_token's signature (the
provider's JWKS), `iss`, `aud`, `exp`, `iat`, `nonce` and `azp` are checked with joserfc
(authlib's JOSE library), then
`acr` must reach HMSKORT_OIDC_ACR and `pid` must be a valid fødselsnummer or D-number.
Settings are read at call time.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlencode

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from joserfc import jwt
from joserfc.errors import (
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet, KeySetSerialization

from hmskort.identifiers import InvalidIdentifier, parse_national_id

log = logging.getLogger(__name__)

# ID-porten's levels of assurance, lowest first. The older names are mapped explicitly.
ACR_LEVELS = {
    "idporten-loa-low": 1,
    "idporten-loa-substantial": 2,
    "Level3": 2,
    "idporten-loa-high": 3,
    "Level4": 3,
}
FLOW_SESSION_KEY = "oidc_flow"
FLOW_MAX_AGE = 15 * 60
CLOCK_LEEWAY = 60
UI_LOCALES = {"nb": "nb", "en": "en"}
# Asymmetric signatures only: never "none", never a shared-secret HMAC.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]


class LoginRefused(Exception):
    """The login is refused. `message` is shown to the person; `reason` is logged."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(reason)
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class LoginResult:
    national_id: str
    given_name: str
    family_name: str
    acr: str
    id_token: str
    sid: str


def redirect_uri() -> str:
    return f"{settings.HMSKORT_BASE_URL}/auth/callback"


def post_logout_redirect_uri() -> str:
    return f"{settings.HMSKORT_BASE_URL}/"


def _get_json(url: str) -> dict:
    try:
        response = httpx.get(url, timeout=10.0, headers={"Accept": "application/json"})
        response.raise_for_status()
        return response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise LoginRefused(
            _("The login service cannot be reached just now. Please try again in a little while."),
            f"provider unreachable: {exc.__class__.__name__}",
        ) from exc


def provider_metadata() -> dict:
    """The issuer's discovery document, cached for an hour."""
    issuer = settings.HMSKORT_OIDC_ISSUER
    key = f"oidc:metadata:{issuer}"
    metadata = cache.get(key)
    if metadata is None:
        metadata = _get_json(f"{issuer}/.well-known/openid-configuration")
        if metadata.get("issuer", "").rstrip("/") != issuer.rstrip("/"):
            raise LoginRefused(
                _("The login service is misconfigured."), "discovery issuer does not match"
            )
        cache.set(key, metadata, 3600)
    return metadata


def _jwks(metadata: dict, *, refresh: bool = False) -> KeySetSerialization:
    key = f"oidc:jwks:{metadata['jwks_uri']}"
    keys = None if refresh else cache.get(key)
    if keys is None:
        keys = _get_json(metadata["jwks_uri"])
        cache.set(key, keys, 3600)
    # The provider's JWKS document as read; KeySet.import_key_set checks its shape.
    return cast("KeySetSerialization", keys)


def begin(session, *, next_url: str, language: str) -> str:
    """Start a login: remember state, nonce and PKCE verifier; return the authorization URL."""
    metadata = provider_metadata()
    flow = {
        "state": secrets.token_urlsafe(32),
        "nonce": secrets.token_urlsafe(32),
        "verifier": secrets.token_urlsafe(64),
        "next": next_url,
        "started": int(time.time()),
    }
    session[FLOW_SESSION_KEY] = flow
    params = {
        "response_type": "code",
        "client_id": settings.HMSKORT_OIDC_CLIENT_ID,
        "redirect_uri": redirect_uri(),
        "scope": "openid profile",
        "state": flow["state"],
        "nonce": flow["nonce"],
        "code_challenge": create_s256_code_challenge(flow["verifier"]),
        "code_challenge_method": "S256",
        "acr_values": settings.HMSKORT_OIDC_ACR,
        "ui_locales": UI_LOCALES.get(language, "nb"),
    }
    return f"{metadata['authorization_endpoint']}?{urlencode(params)}"


def _refused(reason: str) -> LoginRefused:
    return LoginRefused(_("The login could not be completed. Please log in again."), reason)


def complete(session, params) -> tuple[LoginResult, str]:
    """Finish a login from the callback's query parameters. Returns the result and next URL."""
    flow = session.pop(FLOW_SESSION_KEY, None)
    if not flow or int(time.time()) - flow.get("started", 0) > FLOW_MAX_AGE:
        raise _refused("no login in progress or it is too old")
    if not secrets.compare_digest(str(params.get("state", "")), flow["state"]):
        raise _refused("state does not match")
    if params.get("error"):
        if params.get("error") == "access_denied":
            raise LoginRefused(_("The login was cancelled."), "access_denied")
        raise _refused(f"provider error {params.get('error')}")
    code = params.get("code")
    if not code:
        raise _refused("no code")
    metadata = provider_metadata()
    token = _exchange_code(metadata, code=code, verifier=flow["verifier"])
    claims = _validate_id_token(metadata, token, nonce=flow["nonce"])
    return claims, flow.get("next") or ""


def _exchange_code(metadata: dict, *, code: str, verifier: str) -> dict:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri(),
        "code_verifier": verifier,
        "client_id": settings.HMSKORT_OIDC_CLIENT_ID,
    }
    methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    auth = None
    if settings.HMSKORT_OIDC_CLIENT_SECRET:
        if "client_secret_basic" in methods:
            auth = (settings.HMSKORT_OIDC_CLIENT_ID, settings.HMSKORT_OIDC_CLIENT_SECRET)
        else:
            data["client_secret"] = settings.HMSKORT_OIDC_CLIENT_SECRET
    try:
        response = httpx.post(metadata["token_endpoint"], data=data, auth=auth, timeout=10.0)
    except httpx.HTTPError as exc:
        raise LoginRefused(
            _("The login service cannot be reached just now. Please try again in a little while."),
            f"token endpoint unreachable: {exc.__class__.__name__}",
        ) from exc
    if response.status_code != 200:
        raise _refused(f"token endpoint answered {response.status_code}")
    try:
        token = response.json()
    except ValueError:
        raise _refused("token response is not JSON") from None
    if not token.get("id_token"):
        raise _refused("no id_token")
    return token


def _decode(metadata: dict, id_token: str) -> jwt.Token:
    """Verify the signature with the provider's keys (re-read once for an unknown key id)."""
    for refresh in (False, True):
        keys = KeySet.import_key_set(_jwks(metadata, refresh=refresh))
        try:
            return jwt.decode(id_token, keys, algorithms=ALGORITHMS)
        except (InvalidKeyIdError, ValueError):
            # Unknown key id: the provider may have rotated its keys; read them once more.
            if refresh:
                raise
    raise AssertionError("unreachable")


def _validate_id_token(metadata: dict, token: dict, *, nonce: str) -> LoginResult:
    client_id = settings.HMSKORT_OIDC_CLIENT_ID
    registry = jwt.JWTClaimsRegistry(
        leeway=CLOCK_LEEWAY,
        iss={"essential": True, "value": metadata["issuer"]},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        iat={"essential": True},
        sub={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        claims = _decode(metadata, token["id_token"]).claims
        registry.validate(claims)
    except ExpiredTokenError:
        raise _refused("id_token expired") from None
    except (InvalidClaimError, MissingClaimError) as exc:
        raise _refused(f"id_token claim invalid: {exc.description}") from None
    except (JoseError, ValueError) as exc:
        raise _refused(f"id_token rejected: {exc.__class__.__name__}") from None
    audience = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audience) > 1 and claims.get("azp") != client_id:
        raise _refused("id_token azp does not name this client")

    acr = str(claims.get("acr") or "")
    wanted = ACR_LEVELS.get(settings.HMSKORT_OIDC_ACR, 2)
    if ACR_LEVELS.get(acr, 0) < wanted:
        raise LoginRefused(
            _(
                "Your login method is not secure enough for this service. "
                "Log in with MinID, BankID, Buypass or Commfides."
            ),
            f"acr too low: {acr or 'missing'}",
        )
    try:
        national_id = parse_national_id(
            str(claims.get("pid") or ""), allow_test=settings.HMSKORT_ALLOW_TEST_IDENTITIES
        ).number
    except InvalidIdentifier:
        raise LoginRefused(
            _(
                "The login service did not give us a valid Norwegian national ID number or "
                "D-number, so we cannot tell who you are."
            ),
            "pid missing or invalid",
        ) from None
    given = str(claims.get("given_name") or "")
    family = str(claims.get("family_name") or "")
    if not (given or family) and claims.get("name"):
        *first, last = str(claims["name"]).split()
        given, family = " ".join(first), last
    return LoginResult(
        national_id=national_id,
        given_name=given,
        family_name=family,
        acr=acr,
        id_token=token["id_token"],
        sid=str(claims.get("sid") or ""),
    )


def end_session_url(id_token: str | None) -> str | None:
    """The provider's end-session URL for RP-initiated logout, or None if it has none."""
    try:
        metadata = provider_metadata()
    except LoginRefused:
        return None
    endpoint = metadata.get("end_session_endpoint")
    if not endpoint:
        return None
    params = {
        "post_logout_redirect_uri": post_logout_redirect_uri(),
        "client_id": settings.HMSKORT_OIDC_CLIENT_ID,
    }
    if id_token:
        params["id_token_hint"] = id_token
    return f"{endpoint}?{urlencode(params)}"
