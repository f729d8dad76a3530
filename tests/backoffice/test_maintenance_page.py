"""Administrators schedule and cancel maintenance windows in the back office."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from hmskort.audit.models import AuditEvent
from hmskort.site.models import MaintenanceWindow

pytestmark = pytest.mark.django_db

URL = "/kontor/vedlikehold/"
EN = "/en/office/maintenance/"


def local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def admin(staff_client):
    return staff_client("administrator", "drift")


def form(start, end):
    return {
        "starts_at": local(start),
        "ends_at": local(end),
        "message_nb": "Vi oppgraderer.",
        "message_en": "We upgrade.",
    }


def test_an_administrator_schedules_a_window_and_sees_it_listed(admin):
    start = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(days=3)

    response = admin.post(URL, form(start, start + dt.timedelta(hours=4)))

    assert response.status_code == 302
    window = MaintenanceWindow.objects.get()
    assert window.starts_at == start
    assert window.created_by == "drift"
    page = admin.get(EN).content.decode()
    assert "We upgrade." in page
    assert "Vedlikehold planlagt" in page  # the message was written in the POST's language
    assert AuditEvent.objects.filter(action="maintenance.scheduled").count() == 1


def test_an_overlapping_window_is_refused_in_a_summary_that_takes_focus(admin):
    start = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(days=3)
    admin.post(URL, form(start, start + dt.timedelta(hours=4)))

    response = admin.post(EN, form(start + dt.timedelta(hours=1), start))

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="error-summary"' in body and "autofocus" in body
    assert "The window must end after it starts." in body
    overlapping = admin.post(EN, form(start + dt.timedelta(hours=1), start + dt.timedelta(hours=5)))
    assert "overlaps window" in overlapping.content.decode().replace("&#x27;", "'")
    assert MaintenanceWindow.objects.count() == 1


def test_a_missing_field_is_marked_invalid(admin):
    response = admin.post(EN, {"starts_at": "", "ends_at": "", "message_nb": "", "message_en": ""})
    body = response.content.decode()
    assert body.count('aria-invalid="true"') == 4
    assert MaintenanceWindow.objects.count() == 0


def test_an_administrator_cancels_a_window(admin):
    start = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(days=3)
    admin.post(URL, form(start, start + dt.timedelta(hours=4)))
    window = MaintenanceWindow.objects.get()

    response = admin.post(f"{URL}{window.pk}/avlys/", follow=True)

    window.refresh_from_db()
    assert window.cancelled_at is not None
    assert "er avlyst" in response.content.decode()
