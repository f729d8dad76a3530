from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def check_card(request: HttpRequest) -> HttpResponse:
    """The public card check page (built out in the card-check issue)."""
    return render(request, "checks/check.html", {})
