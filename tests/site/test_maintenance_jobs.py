"""Background jobs that write wait for the end of a maintenance window, and lose nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from huey.contrib.djhuey import HUEY

from hmskort.audit.services import Actor
from hmskort.cards import tasks as card_tasks
from hmskort.cards.jobs import queue_recompute
from hmskort.cards.recompute import recompute_cards
from hmskort.cards.signals import card_validity_changed
from hmskort.integrations import services as integrations
from hmskort.integrations.models import WebhookDelivery
from hmskort.registries import tasks as registry_tasks
from hmskort.registries.models import BrregUnit
from hmskort.site import services
from tests.factories import CardFactory, employed_person, registered_company, validity_change
from tests.site.test_maintenance import DURING, END, LONG_BEFORE, START, at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_job_queue():
    HUEY.flush()
    yield
    HUEY.flush()


@pytest.fixture
def window():
    with at(LONG_BEFORE):
        return services.schedule_window(
            starts_at=START, ends_at=END, message_nb="", message_en="", actor=Actor.staff("drift")
        )


def run_due_jobs() -> int:
    """What the job consumer's scheduler does every second: run the jobs whose time has come."""
    due = HUEY.read_schedule()
    for task in due:
        HUEY.execute(task)
    return len(due)


def valid_card():
    company = registered_company()
    card = CardFactory(company=company, holder=employed_person(company), valid=False, reasons=["x"])
    recompute_cards(card_ids=[card.pk], cause="test")
    card.refresh_from_db()
    assert card.valid
    return card


def card_of_a_dissolved_company():
    """A card valid long before the window whose company the register now says is forcibly
    dissolved: a recompute makes it not valid."""
    with at(LONG_BEFORE):
        card = valid_card()
    BrregUnit.objects.filter(orgnr=card.company.orgnr).update(under_forced_dissolution=True)
    return card


def queue(orgnr, capture):
    """Through the one entry point of recompute jobs, as a register change does on commit."""
    with capture(execute=True):
        queue_recompute(orgnrs=[orgnr], cause="brreg")


def test_a_recompute_queued_during_the_window_runs_after_it(
    window, django_capture_on_commit_callbacks
):
    card = card_of_a_dissolved_company()

    with at(DURING):
        queue(card.company.orgnr, django_capture_on_commit_callbacks)
        card.refresh_from_db()
        assert card.valid  # not yet: the job waits
        assert HUEY.scheduled_count() == 1
        assert run_due_jobs() == 0

    with at(END + dt.timedelta(seconds=10)):
        assert run_due_jobs() == 0  # 30 seconds' margin after the end
    with at(END + dt.timedelta(minutes=5)):
        assert run_due_jobs() == 1
    card.refresh_from_db()
    assert card.reasons == ["company_forcibly_dissolved"]
    assert HUEY.scheduled_count() == 0


def test_the_same_recompute_before_the_window_runs_at_once(
    window, django_capture_on_commit_callbacks
):
    with at(LONG_BEFORE):
        card = valid_card()
        BrregUnit.objects.filter(orgnr=card.company.orgnr).update(under_forced_dissolution=True)
        queue(card.company.orgnr, django_capture_on_commit_callbacks)
    card.refresh_from_db()
    assert card.reasons == ["company_forcibly_dissolved"]
    assert HUEY.scheduled_count() == 0


def test_a_periodic_register_sync_waits_once_per_window_and_runs_after_it(window, settings):
    settings.HMSKORT_RENHOLD_URL = ""
    with at(DURING):
        for _ in range(3):  # every five minutes of the window
            HUEY.enqueue(registry_tasks.sync_renhold.s())
        assert HUEY.scheduled_count() == 1
        HUEY.enqueue(registry_tasks.lookup_units.s(["974760673"]))
        assert HUEY.scheduled_count() == 2
    with at(END + dt.timedelta(minutes=5)):
        scheduled = {task.name for task in HUEY.read_schedule()}
    assert scheduled == {"sync_renhold", "lookup_units"}


def test_webhook_deliveries_wait_for_the_end_of_the_window_and_then_go_out(
    window, httpserver, django_capture_on_commit_callbacks
):
    api_key, _plaintext = integrations.create_api_key(name="Crew", actor=Actor.system("test"))
    integrations.set_webhook(
        api_key=api_key, url=httpserver.url_for("/hook"), actor=Actor.system("test")
    )
    card = CardFactory()
    integrations.subscribe_cards(api_key=api_key, card_ids=[card.pk])
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("ok")

    with at(DURING):
        with django_capture_on_commit_callbacks(execute=True):
            card_validity_changed.send(sender=None, changes=[validity_change(card)])
        HUEY.enqueue(card_tasks.recompute_for_passing_time.s())  # periodic jobs wait too
        assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.PENDING
        assert httpserver.log == []

    with at(END + dt.timedelta(minutes=5)):
        assert run_due_jobs() == 2
    httpserver.check_assertions()
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.DELIVERED


def test_jobs_named_in_the_setting_run_during_the_window(
    window, settings, django_capture_on_commit_callbacks
):
    settings.HMSKORT_MAINTENANCE_RUNNING_JOBS = ["recompute_facts"]
    card = card_of_a_dissolved_company()
    with at(DURING):
        queue(card.company.orgnr, django_capture_on_commit_callbacks)
    card.refresh_from_db()
    assert card.reasons == ["company_forcibly_dissolved"]
