"""Webhook delivery jobs (huey). Retries are rows with a due time, so a restart loses none."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import services


@db_task()
def deliver_webhooks() -> None:
    services.deliver_due()


@db_periodic_task(crontab(minute="*"))
def deliver_webhooks_due() -> None:
    """Retries whose backoff has passed."""
    services.deliver_due()
