from pathlib import Path
from typing import Any

from django.contrib.syndication.views import Feed
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hmskort.cards.models import CardType
from hmskort.orders.selectors import current_prices

from . import selectors
from .status import service_status


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    prices = {price.card_type_id: price for price in current_prices()}
    card_types = [
        {"card_type": card_type, "price": prices.get(card_type.pk)}
        for card_type in CardType.objects.filter(is_active=True)
    ]
    news = selectors.published_news()
    return render(request, "site/home.html", {"card_types": card_types, "news": news})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    maintenance = selectors.active_window() is not None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse(
            {"status": "error", "database": "unavailable", "maintenance": maintenance}, status=503
        )
    return JsonResponse({"status": "ok", "database": "ok", "maintenance": maintenance})


FAVICON = Path(__file__).resolve().parent.parent / "static" / "hmskort" / "favicon.ico"


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(FAVICON.read_bytes(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to take traffic: database, cache, job queue and file storage all answer."""
    from hmskort.health import readiness

    parts = readiness()
    failed = [part for part, state in parts.items() if state != "ok"]
    body: dict[str, Any] = {"status": "unavailable" if failed else "ok", **parts}
    if failed:
        body["failed"] = failed
    return JsonResponse(body, status=503 if failed else 200)


@never_cache
@require_GET
def status(request: HttpRequest) -> HttpResponse:
    """The service's state, the next maintenance window, and each register's freshness."""
    now = timezone.now()
    state = service_status(now)
    context = {
        "status": state,
        "now": now,
        "active_period": state.active_window and selectors.window_period(state.active_window, now),
        "next_period": state.next_window and selectors.window_period(state.next_window, now),
    }
    return render(request, "site/status.html", context)


@require_GET
def service_messages(request: HttpRequest) -> HttpResponse:
    messages = selectors.published_service_messages()
    return render(request, "site/service_messages.html", {"service_messages": messages})


class ServiceMessagesFeed(Feed):
    """Atom feed of the operational messages, in the language of the URL."""

    feed_type = Atom1Feed

    def title(self):
        return _("HSE card: operational messages")

    def subtitle(self):
        return _("Disruptions, maintenance and other news about the HSE card service.")

    def link(self):
        return reverse("service_messages")

    def items(self):
        return selectors.published_service_messages()

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.body

    def item_link(self, item):
        return f"{reverse('service_messages')}#message-{item.pk}"

    def item_pubdate(self, item):
        return item.publish_at

    def item_updateddate(self, item):
        return item.updated_at


service_messages_feed = ServiceMessagesFeed()
