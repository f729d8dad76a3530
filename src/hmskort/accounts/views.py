"""Login and logout: ID-porten (OpenID Connect) or, in the embedded default, a local test login."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hmskort.audit.services import Actor, record
from hmskort.companies.selectors import holder_name_for, persons_for_test_login
from hmskort.companies.services import refresh_roles_for_person
from hmskort.identifiers import InvalidIdentifier, mask_national_id, parse_national_id
from hmskort.people.login import person_for_login

from . import oidc
from .session import ID_TOKEN_KEY, METHOD_KEY, current_person, log_in

log = logging.getLogger(__name__)


def test_login_enabled() -> bool:
    """The local test login: only without an OIDC issuer, and never with DEBUG off."""
    return bool(
        settings.DEBUG
        and getattr(settings, "HMSKORT_TEST_LOGIN", False)
        and not settings.HMSKORT_OIDC_ISSUER
    )


def _safe_next(request: HttpRequest, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return reverse("portal:companies")


def _finish_login(
    request: HttpRequest,
    *,
    national_id: str,
    given_name: str,
    family_name: str,
    method: str,
    id_token: str = "",
    acr: str = "",
) -> None:
    refresh = refresh_roles_for_person(national_id=national_id)
    if refresh.failed:
        log.warning("roles source failed at login; stored roles are used")
    if not (given_name or family_name):
        *first, last = holder_name_for(national_id).split() or [""]
        given_name, family_name = " ".join(first), last
    person = person_for_login(
        national_id=national_id, given_name=given_name, family_name=family_name
    )
    log_in(request, person, method=method, id_token=id_token, acr=acr)
    record(
        actor=Actor.person(person.pk, person.full_name),
        action="person.logged_in",
        target=person,
        data={"method": method, "acr": acr},
    )


@never_cache
@require_GET
def login_page(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.GET.get("next"))
    context = {
        "next": next_url,
        "oidc_enabled": bool(settings.HMSKORT_OIDC_ISSUER),
        "test_login": test_login_enabled(),
        "person": current_person(request),
    }
    if context["test_login"]:
        context["test_persons"] = [
            {**p, "masked": mask_national_id(p["national_id"])} for p in persons_for_test_login()
        ]
    return render(request, "accounts/login.html", context)


@never_cache
@require_GET
def oidc_start(request: HttpRequest) -> HttpResponse:
    if not settings.HMSKORT_OIDC_ISSUER:
        raise Http404
    next_url = _safe_next(request, request.GET.get("next"))
    try:
        url = oidc.begin(
            request.session, next_url=next_url, language=translation.get_language() or "nb"
        )
    except oidc.LoginRefused as exc:
        log.warning("login not started: %s", exc.reason)
        return render(request, "accounts/refused.html", {"message": exc.message}, status=503)
    request.session[oidc.FLOW_SESSION_KEY]["language"] = translation.get_language()
    request.session.modified = True
    return redirect(url)


@never_cache
@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    if not settings.HMSKORT_OIDC_ISSUER:
        raise Http404
    language = (request.session.get(oidc.FLOW_SESSION_KEY) or {}).get("language")
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
        request.LANGUAGE_CODE = language
    try:
        result, next_url = oidc.complete(request.session, request.GET)
    except oidc.LoginRefused as exc:
        log.warning("login refused: %s", exc.reason)
        return render(request, "accounts/refused.html", {"message": exc.message}, status=400)
    _finish_login(
        request,
        national_id=result.national_id,
        given_name=result.given_name,
        family_name=result.family_name,
        method="oidc",
        id_token=result.id_token,
        acr=result.acr,
    )
    return redirect(_safe_next(request, next_url))


@never_cache
@require_POST
def test_login(request: HttpRequest) -> HttpResponse:
    if not test_login_enabled():
        raise Http404
    value = request.POST.get("national_id", "")
    try:
        national_id = parse_national_id(
            value, allow_test=settings.HMSKORT_ALLOW_TEST_IDENTITIES
        ).number
    except InvalidIdentifier as exc:
        messages.error(request, str(exc))
        return redirect(reverse("accounts:login"))
    names = (request.POST.get("name") or "").split()
    given, family = (" ".join(names[:-1]), names[-1]) if names else ("", "")
    _finish_login(
        request, national_id=national_id, given_name=given, family_name=family, method="test"
    )
    return redirect(_safe_next(request, request.POST.get("next")))


@require_http_methods(["POST"])
def logout(request: HttpRequest) -> HttpResponse:
    method = request.session.get(METHOD_KEY)
    id_token = request.session.get(ID_TOKEN_KEY)
    person = current_person(request)
    if person:
        record(
            actor=Actor.person(person.pk, person.full_name),
            action="person.logged_out",
            target=person,
        )
    request.session.flush()
    if method == "oidc" and settings.HMSKORT_OIDC_ISSUER:
        url = oidc.end_session_url(id_token)
        if url:
            return redirect(url)
    messages.success(request, _("You are logged out."))
    return redirect("home")
