"""The daily alert e-mails (huey). Paused by maintenance windows like every job (site/jobs.py)."""

from __future__ import annotations

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from .sending import send_alerts


@db_periodic_task(
    crontab(hour=str(settings.HMSKORT_ALERTS_HOUR), minute=str(settings.HMSKORT_ALERTS_MINUTE))
)
@HUEY.lock_task("alerts-daily")
def send_daily_alerts() -> int:
    """After the nightly recompute (00:05) and the register reads: the day's alert e-mails."""
    return send_alerts().sent
