from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def companies(request: HttpRequest) -> HttpResponse:
    """My companies (built out in the login issue)."""
    return render(request, "portal/companies.html", {})
