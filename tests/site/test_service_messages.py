"""Operational messages and news with publish and unpublish dates, the Atom feed, the status
page, and maintenance windows in the staff pages."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from hmskort.audit.services import Actor
from hmskort.registries.models import RegistryRun
from hmskort.site import services
from hmskort.site.models import MaintenanceWindow, NewsItem, ServiceMessage

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def message(title, *, publish, unpublish=None, severity=ServiceMessage.Severity.INFO):
    return ServiceMessage.objects.create(
        title_nb=f"{title} (nb)",
        title_en=f"{title} (en)",
        body_nb="Tekst",
        body_en="Text",
        publish_at=publish,
        unpublish_at=unpublish,
        severity=severity,
    )


def test_operational_messages_show_between_their_publish_and_unpublish_times(client):
    now = timezone.now()
    message("Current", publish=now - dt.timedelta(hours=1))
    message("Future", publish=now + dt.timedelta(hours=1))
    message("Gone", publish=now - dt.timedelta(days=2), unpublish=now - dt.timedelta(days=1))

    nb = client.get("/driftsmeldinger/").content.decode()
    en = client.get("/en/service-messages/").content.decode()

    assert "Current (nb)" in nb
    assert "Current (en)" in en
    for body in (nb, en):
        assert "Future" not in body
        assert "Gone" not in body


def test_the_atom_feed_lists_the_published_operational_messages_in_the_urls_language(client):
    now = timezone.now()
    message("Current", publish=now - dt.timedelta(hours=1))
    message("Future", publish=now + dt.timedelta(hours=1))

    response = client.get("/en/service-messages/feed/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    titles = [entry.findtext(f"{ATOM}title") for entry in feed.iter(f"{ATOM}entry")]
    assert titles == ["Current (en)"]
    nb = ET.fromstring(client.get("/driftsmeldinger/feed/").content)
    assert nb.findtext(f"{ATOM}title") == "HMS-kort: driftsmeldinger"


def test_news_items_show_from_their_date_until_their_unpublish_date(client):
    today = timezone.localdate()
    NewsItem.objects.create(
        title_nb="Ute nå", title_en="Out now", body_nb="x", body_en="x", published_on=today
    )
    NewsItem.objects.create(
        title_nb="Kommer",
        title_en="Coming",
        body_nb="x",
        body_en="x",
        published_on=today + dt.timedelta(days=1),
    )
    NewsItem.objects.create(
        title_nb="Utløpt",
        title_en="Expired",
        body_nb="x",
        body_en="x",
        published_on=today - dt.timedelta(days=5),
        unpublish_on=today,
    )
    body = client.get("/").content.decode()
    assert "Ute nå" in body
    assert "Kommer" not in body
    assert "Utløpt" not in body


def test_the_status_page_shows_the_state_the_next_window_and_each_register(client):
    now = timezone.now()
    services.schedule_window(
        starts_at=now + dt.timedelta(days=30),
        ends_at=now + dt.timedelta(days=30, hours=2),
        message_nb="Oppgradering",
        message_en="Upgrade",
        actor=Actor.staff("drift"),
    )
    RegistryRun.objects.create(
        source=RegistryRun.Source.BRREG_FEED,
        status=RegistryRun.Status.OK,
        started_at=now - dt.timedelta(hours=3),
    )

    nb = client.get("/driftsstatus/").content.decode()
    en = client.get("/en/status/").content.decode()

    assert "Alle deler av tjenesten virker." in nb
    assert "Neste planlagte vedlikehold:" in nb
    assert "Oppgradering" in nb
    assert "All parts of the service are working." in en
    assert "Next scheduled maintenance:" in en
    # The change feed was last read three hours ago: more than its hour, so out of date.
    assert "Out of date" in en
    assert en.count("<h3") == len(RegistryRun.Source.choices)


def test_a_published_disruption_message_shows_on_the_status_page(client):
    message(
        "Treg innlogging",
        publish=timezone.now() - dt.timedelta(minutes=5),
        severity=ServiceMessage.Severity.WARNING,
    )
    body = client.get("/en/status/").content.decode()
    assert "Some parts of the service are disrupted." in body
    assert "Treg innlogging (en)" in body


def test_staff_schedule_a_window_in_the_admin_and_an_overlapping_one_is_refused(admin_client):
    start = timezone.localtime() + dt.timedelta(days=3)
    data = {
        "starts_at_0": start.strftime("%Y-%m-%d"),
        "starts_at_1": "18:00:00",
        "ends_at_0": start.strftime("%Y-%m-%d"),
        "ends_at_1": "22:00:00",
        "message_nb": "Oppgradering",
        "message_en": "Upgrade",
    }
    first = admin_client.post("/admin/site/maintenancewindow/add/", data)
    assert first.status_code == 302
    window = MaintenanceWindow.objects.get()
    assert window.created_by == "admin"

    second = admin_client.post("/admin/site/maintenancewindow/add/", data)
    assert second.status_code == 200
    assert "overlapper vindu" in second.content.decode().replace("&#x27;", "'")
    assert MaintenanceWindow.objects.count() == 1

    inverted = admin_client.post(
        "/admin/site/maintenancewindow/add/", {**data, "ends_at_1": "17:00:00"}
    )
    assert "Vinduet må slutte etter at det starter." in inverted.content.decode()
    assert MaintenanceWindow.objects.count() == 1
