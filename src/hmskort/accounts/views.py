from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST


def login_page(request: HttpRequest) -> HttpResponse:
    """The login entry (built out in the login issue)."""
    return render(request, "accounts/login.html", {})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    request.session.flush()
    return redirect("home")
