"""The one gate of every portal view: a logged-in person, and the company access check.

A company the person may not see answers 404, exactly like one that does not exist, so the
portal never tells whether an organisation number is known.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest
from django.urls import reverse

from hmskort.accounts.session import current_person
from hmskort.companies.models import Company
from hmskort.companies.selectors import access_for
from hmskort.people.models import Person


class PersonRequest(HttpRequest):
    """A request of a logged-in person: `person_required` sets `person`."""

    person: Person


def person_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        person = current_person(request)
        if person is None:
            return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
        request.person = person
        return view(request, *args, **kwargs)

    return wrapper


def company_view(view):
    """Wraps `view(request, company, access, **kwargs)`; the URL carries `orgnr`."""

    @person_required
    @wraps(view)
    def wrapper(request, orgnr: str, *args, **kwargs):
        company = Company.objects.select_related("parent").filter(orgnr=orgnr).first()
        access = access_for(request.person.national_id, company) if company else None
        if access is None:
            raise Http404
        request.access = access
        return view(request, company, access, *args, **kwargs)

    return wrapper
