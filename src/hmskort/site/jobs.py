"""Background jobs wait for the end of a maintenance window, and lose nothing.

One pre-execute hook on the job queue (huey) sees every job before it runs: the register sync,
the recompute (queued through the cards app's one entry point) and webhook deliveries all run as
huey tasks. During a window a job is not run but put on the queue's schedule for the window's
end, with its arguments, so it runs then (and waits again if another window has begun). A
periodic job is put there once per window: its next run after the window reads what the missed
runs would have read (register feeds keep their cursor; webhook retries are rows with a due time).

Jobs named in HMSKORT_MAINTENANCE_RUNNING_JOBS (huey task names) run during a window as usual.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from huey.api import PeriodicTask
from huey.exceptions import CancelExecution

from . import selectors

log = logging.getLogger(__name__)

# Deferred jobs start this long after the window ends, so the service is surely back.
AFTER_THE_WINDOW = dt.timedelta(seconds=30)


def resume_at(window) -> dt.datetime:
    return window.ends_at + AFTER_THE_WINDOW


def defer_during_maintenance(task) -> None:
    """huey pre-execute hook: raise CancelExecution after scheduling the job for later."""
    if task.name in settings.HMSKORT_MAINTENANCE_RUNNING_JOBS:
        return
    window = selectors.active_window()
    if window is None:
        return
    from huey.contrib.djhuey import HUEY

    if isinstance(task, PeriodicTask):
        # Once per window and job: the catch-up run after the window covers the missed ones.
        key = f"site:maintenance:deferred:{window.pk}:{task.name}"
        timeout = max(60, selectors.seconds_left(window) + 3600)
        if not cache.add(key, 1, timeout):
            log.info("maintenance window %s: %s skipped (already waits)", window.pk, task.name)
            raise CancelExecution(retry=False)
    eta = resume_at(window)
    task.eta = (
        eta.astimezone(dt.UTC).replace(tzinfo=None)
        if HUEY.utc
        else timezone.localtime(eta).replace(tzinfo=None)
    )
    HUEY.add_schedule(task)
    log.info("maintenance window %s: %s waits until %s", window.pk, task.name, eta.isoformat())
    raise CancelExecution(retry=False)


def install() -> None:
    from huey.contrib.djhuey import HUEY

    HUEY.pre_execute(name="maintenance")(defer_during_maintenance)
