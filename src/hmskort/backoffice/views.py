"""Pages for the issuer's staff. Every view passes `staff_view` with the roles it allows."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from hmskort.accounts.staff import StaffRole, roles_of

from .access import staff_view


@require_GET
@staff_view()
def home(request: HttpRequest) -> HttpResponse:
    roles = [StaffRole(r).label for r in StaffRole.values if r in roles_of(request.user)]
    return render(request, "backoffice/home.html", {"roles": roles})
