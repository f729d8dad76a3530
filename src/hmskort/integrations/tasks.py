"""Webhook delivery jobs (huey). Retries are rows with a due time, so a restart loses none."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import services


def _drain(rounds: int = 100) -> None:
    """Deliver until nothing is due (a mass change can queue many events at once)."""
    for _ in range(rounds):
        if sum(services.deliver_due(limit=BATCH).values()) < BATCH:
            break


BATCH = 200


@db_task()
def deliver_webhooks() -> None:
    _drain()


@db_periodic_task(crontab(minute="*"))
def deliver_webhooks_due() -> None:
    """Retries whose backoff has passed."""
    _drain()
