"""Who is logged in: the one place that reads and writes the login in the session."""

from __future__ import annotations

from django.http import HttpRequest
from django.middleware.csrf import rotate_token
from django.utils import timezone

from hmskort.people.models import Person

PERSON_KEY = "person_id"  # base.html shows "My companies" / "Log out" when this is set
METHOD_KEY = "login_method"  # "oidc" or "test"
ID_TOKEN_KEY = "oidc_id_token"  # noqa: S105 - for the provider's end-session endpoint
ACR_KEY = "login_acr"
AT_KEY = "login_at"


def log_in(
    request: HttpRequest, person: Person, *, method: str, id_token: str = "", acr: str = ""
) -> None:
    """Start a fresh session for the person: a new session key and a new CSRF token, nothing
    carried over (a token planted before login is worth nothing after it)."""
    request.session.flush()
    rotate_token(request)
    request.session[PERSON_KEY] = person.pk
    request.session[METHOD_KEY] = method
    request.session[AT_KEY] = timezone.now().isoformat()
    if id_token:
        request.session[ID_TOKEN_KEY] = id_token
    if acr:
        request.session[ACR_KEY] = acr


def current_person(request: HttpRequest) -> Person | None:
    if hasattr(request, "_hmskort_person"):
        remembered: Person | None = request._hmskort_person
        return remembered
    person_id = request.session.get(PERSON_KEY)
    person = Person.objects.filter(pk=person_id).first() if person_id else None
    request._hmskort_person = person  # type: ignore[attr-defined]  # memo for this request
    return person
