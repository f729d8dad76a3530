"""Scheduled maintenance: announced ahead, the portal closed during it, the card check open."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from hmskort.audit.models import AuditEvent
from hmskort.audit.services import Actor
from hmskort.companies.models import Delegation
from hmskort.site import services
from hmskort.site.models import MaintenanceWindow
from tests.factories import CardFactory, PersonFactory, RoleFactory, national_id_for

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")
START = dt.datetime(2027, 1, 30, 18, 0, tzinfo=OSLO)  # a Saturday
END = dt.datetime(2027, 1, 30, 22, 0, tzinfo=OSLO)
BEFORE = dt.datetime(2027, 1, 25, 12, 0, tzinfo=OSLO)  # within the 7 days' notice
LONG_BEFORE = dt.datetime(2027, 1, 20, 12, 0, tzinfo=OSLO)
DURING = dt.datetime(2027, 1, 30, 20, 0, tzinfo=OSLO)
AFTER = dt.datetime(2027, 1, 30, 22, 1, tzinfo=OSLO)


def at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def window():
    with at(LONG_BEFORE):
        return services.schedule_window(
            starts_at=START,
            ends_at=END,
            message_nb="Vi oppgraderer databasen.",
            message_en="We are upgrading the database.",
            actor=Actor.staff("drift"),
        )


@pytest.fixture
def portal_user(client, settings):
    settings.SESSION_COOKIE_AGE = 5 * 365 * 24 * 3600  # the tests travel to 2027
    role = RoleFactory(code="DAGL", company__name="Acme Bygg AS")
    person = PersonFactory(national_id=role.national_id)
    session = client.session
    session["person_id"] = person.pk
    session["login_method"] = "test"
    session.save()
    return client, role.company


# --- The command line ------------------------------------------------------------------------------


def test_the_command_schedules_lists_and_cancels_windows_one_a_line_id_first(capsys):
    with at(LONG_BEFORE):
        call_command(
            "maintenance",
            "schedule",
            "--start",
            "2027-01-30T18:00",
            "--end",
            "2027-01-30T22:00",
            "--message-nb",
            "Oppgradering",
            "--message-en",
            "Upgrade",
        )
        window = MaintenanceWindow.objects.get()
        assert (window.starts_at, window.ends_at) == (START, END)
        capsys.readouterr()
        call_command("maintenance", "list")
        listed = capsys.readouterr().out.splitlines()
        assert listed == [f"{window.pk}\t2027-01-30T18:00+01:00\t2027-01-30T22:00+01:00\tUpgrade"]
        call_command("maintenance", "cancel", str(window.pk))
        capsys.readouterr()
        call_command("maintenance", "list")
        assert capsys.readouterr().out == ""
    assert list(
        AuditEvent.objects.filter(object_type="site.maintenancewindow")
        .values_list("action", flat=True)
        .order_by("id")
    ) == ["maintenance.scheduled", "maintenance.cancelled"]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2027-01-30T20:00", "2027-01-30T23:00", "overlaps window"),
        ("2027-01-30T17:00", "2027-01-30T18:30", "overlaps window"),
        ("2027-01-31T10:00", "2027-01-31T09:00", "must end after it starts"),
        ("2027-01-31T10:00", "2027-01-31T10:00", "must end after it starts"),
        ("2027-01-01T10:00", "2027-01-01T11:00", "already over"),
        ("30.01.2027 18:00", "2027-01-31T10:00", "not an ISO date"),
    ],
)
def test_overlapping_inverted_and_past_windows_are_refused_with_exit_status_2(
    window, start, end, message
):
    with at(LONG_BEFORE), pytest.raises(CommandError, match=message) as refused:
        call_command(
            "maintenance",
            "schedule",
            "--start",
            start,
            "--end",
            end,
            "--message-nb",
            "x",
            "--message-en",
            "x",
        )
    assert refused.value.returncode == 2
    assert MaintenanceWindow.objects.count() == 1


def test_a_window_right_after_another_is_allowed_and_a_cancelled_one_no_longer_blocks(window):
    with at(LONG_BEFORE):
        services.schedule_window(
            starts_at=END,
            ends_at=END + dt.timedelta(hours=1),
            message_nb="",
            message_en="",
            actor=Actor.staff("drift"),
        )
        services.cancel_window(window_id=window.pk, actor=Actor.staff("drift"))
        services.schedule_window(
            starts_at=START,
            ends_at=END,
            message_nb="",
            message_en="",
            actor=Actor.staff("drift"),
        )
    assert MaintenanceWindow.objects.filter(cancelled_at__isnull=True).count() == 2


def test_cancelling_an_unknown_window_is_refused_with_exit_status_2():
    with pytest.raises(CommandError, match="No maintenance window has the ID 999") as refused:
        call_command("maintenance", "cancel", "999")
    assert refused.value.returncode == 2


# --- The banner ------------------------------------------------------------------------------------


def test_no_banner_before_the_notice_time(client, window):
    with at(LONG_BEFORE):
        assert "Planlagt vedlikehold" not in client.get("/").content.decode()


def test_the_banner_announces_the_window_in_norwegian_time_in_both_languages(client, window):
    with at(BEFORE):
        nb = client.get("/").content.decode()
        en = client.get("/en/check/").content.decode()
    assert "Planlagt vedlikehold lørdag 30. januar kl. 18.00–22.00 (norsk tid)." in nb  # noqa: RUF001
    assert "Vi oppgraderer databasen." in nb
    assert "Scheduled maintenance Saturday 30 January 18:00–22:00 (Norwegian time)." in en  # noqa: RUF001
    assert "We are upgrading the database." in en


def test_the_notice_time_is_configurable(client, window, settings):
    settings.HMSKORT_MAINTENANCE_NOTICE_DAYS = 1
    with at(BEFORE):
        assert "Planlagt vedlikehold" not in client.get("/").content.decode()
    with at(START - dt.timedelta(hours=20)):
        assert "Planlagt vedlikehold" in client.get("/").content.decode()


def test_a_window_over_midnight_says_from_when_to_when(client):
    with at(LONG_BEFORE):
        services.schedule_window(
            starts_at=START,
            ends_at=START + dt.timedelta(hours=12),
            message_nb="",
            message_en="",
            actor=Actor.staff("drift"),
        )
    with at(BEFORE):
        nb = client.get("/").content.decode()
        en = client.get("/en/").content.decode()
    assert "fra lørdag 30. januar kl. 18.00 til søndag 31. januar kl. 06.00" in nb
    assert "from Saturday 30 January 18:00 to Sunday 31 January 06:00" in en


# --- During the window ---------------------------------------------------------------------------


def test_during_the_window_the_portal_login_and_admin_answer_503_with_retry_after(
    client, window, portal_user
):
    user, company = portal_user
    with at(DURING):
        for url in ("/virksomheter/", f"/virksomheter/{company.orgnr}/", "/logg-inn/", "/admin/"):
            response = user.get(url)
            assert response.status_code == 503, url
            assert response["Retry-After"] == str(2 * 60 * 60), url
            body = response.content.decode()
            assert "Stengt for planlagt vedlikehold" in body
            assert "Kom tilbake etter 22.00" in body
            assert "Vi oppgraderer databasen." in body
        english = client.get("/en/companies/")
    assert english.status_code == 503
    assert "Closed for scheduled maintenance" in english.content.decode()
    assert "Please come back after 22:00" in english.content.decode()


def test_the_check_page_qr_landing_and_api_answer_in_the_same_window(client, window):
    card = CardFactory()
    with at(DURING):
        page = client.get("/sjekk/", {"number": card.number})
        qr = client.get(f"/en/check/{card.qr_token}/")
        api = client.get(f"/api/v1/cards/{card.number}")
        front = client.get("/")
        status = client.get("/driftsstatus/")
    assert page.status_code == 200
    assert "Gyldig" in page.content.decode()
    assert "Vedlikehold pågår til 22.00 (norsk tid)." in page.content.decode()
    assert qr.status_code == 200
    assert api.status_code == 200
    assert api.json()["valid"] is True
    assert front.status_code == 200
    assert status.status_code == 200
    assert "Planlagt vedlikehold pågår." in status.content.decode()


def test_the_batch_check_answers_during_the_window_without_subscribing(client, window):
    from hmskort.integrations import services as integrations
    from hmskort.integrations.models import WebhookSubscription

    _key, plaintext = integrations.create_api_key(name="Crew", actor=Actor.system("test"))
    card = CardFactory()
    with at(DURING):
        response = client.post(
            "/api/v1/cards/check",
            {"card_numbers": [card.number], "subscribe": True},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {plaintext}",
        )
        webhooks = client.get("/api/v1/webhooks/endpoint", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert response.status_code == 200
    assert response.json()["results"][0]["valid"] is True
    assert response.json()["subscribed"] is None
    assert not WebhookSubscription.objects.exists()
    assert webhooks.status_code == 503
    assert webhooks.json()["code"] == "maintenance"
    assert webhooks["Retry-After"] == str(2 * 60 * 60)


def test_the_check_answers_during_the_window_with_a_read_only_database(client, window):
    from tests.checks.test_read_only import database_refuses_writes

    card = CardFactory()
    with at(DURING), database_refuses_writes():
        page = client.get("/en/check/", {"number": card.number})
        api = client.get(f"/api/v1/cards/{card.number}")
        closed = client.get("/en/companies/")
    assert page.status_code == 200
    assert "Valid" in page.content.decode()
    assert api.status_code == 200
    assert closed.status_code == 503


def test_healthz_says_maintenance_during_the_window_only(client, window):
    with at(BEFORE):
        assert client.get("/healthz").json()["maintenance"] is False
    with at(DURING):
        during = client.get("/healthz")
    with at(AFTER):
        assert client.get("/healthz").json()["maintenance"] is False
    assert during.status_code == 200
    assert during.json() == {"status": "ok", "database": "ok", "maintenance": True}


def test_a_form_submitted_as_the_window_starts_saves_nothing_and_says_to_try_again(
    window, portal_user
):
    user, company = portal_user
    payload = {"national_id": national_id_for(dt.date(1992, 6, 1), 3), "grantee_name": "Per"}
    with at(START):
        response = user.post(f"/virksomheter/{company.orgnr}/tilganger/ny/", payload)
    assert response.status_code == 503
    body = response.content.decode()
    assert "Det du sendte ble ikke lagret" in body
    assert "Send det igjen etter 22.00" in body
    assert not Delegation.objects.exists()
    assert not AuditEvent.objects.filter(action="delegation.granted").exists()

    with at(AFTER):
        again = user.post(f"/virksomheter/{company.orgnr}/tilganger/ny/", payload)
    assert again.status_code == 302
    assert Delegation.objects.count() == 1


def test_before_and_after_the_window_the_portal_answers_as_usual(window, portal_user):
    user, _company = portal_user
    for moment in (BEFORE, START - dt.timedelta(seconds=1), END, AFTER):
        with at(moment):
            assert user.get("/virksomheter/").status_code == 200, moment


def test_a_cancelled_window_closes_nothing(client, window, portal_user):
    user, _company = portal_user
    services.cancel_window(window_id=window.pk, actor=Actor.staff("drift"))
    with at(DURING):
        response = user.get("/virksomheter/")
    assert response.status_code == 200
    assert "Vedlikehold pågår" not in response.content.decode()
