from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hmskort.cards.models import CardType
from hmskort.orders.selectors import current_prices

from .models import NewsItem


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    prices = {price.card_type_id: price for price in current_prices()}
    card_types = [
        {"card_type": card_type, "price": prices.get(card_type.pk)}
        for card_type in CardType.objects.filter(is_active=True)
    ]
    news = NewsItem.objects.filter(is_published=True)[:5]
    return render(request, "site/home.html", {"card_types": card_types, "news": news})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to take traffic: database, cache, job queue and file storage all answer."""
    from hmskort.health import readiness

    parts = readiness()
    failed = [part for part, state in parts.items() if state != "ok"]
    body = {"status": "unavailable" if failed else "ok", **parts}
    if failed:
        body["failed"] = failed
    return JsonResponse(body, status=503 if failed else 200)
