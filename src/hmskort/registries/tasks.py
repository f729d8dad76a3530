"""Periodic register jobs: change feeds every few minutes, the files daily, the bulk file weekly.

Each job holds a lock so two workers never read the same source at once.
"""

from __future__ import annotations

import logging

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from . import bemanning, brreg, renhold

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/5"))
@HUEY.lock_task("registries-brreg-feeds")
def sync_brreg_feeds() -> None:
    brreg.sync_feeds()


@db_periodic_task(crontab(hour="5", minute="15"))
@HUEY.lock_task("registries-renhold")
def sync_renhold() -> None:
    if settings.HMSKORT_RENHOLD_URL:
        renhold.sync()
    else:
        log.info("HMSKORT_RENHOLD_URL is not set; Renholdsregisteret is not read")


@db_periodic_task(crontab(hour="5", minute="30"))
@HUEY.lock_task("registries-bemanning")
def sync_bemanning() -> None:
    if settings.HMSKORT_BEMANNING_URL:
        bemanning.sync()
    else:
        log.info("HMSKORT_BEMANNING_URL is not set; the staffing register is not read")


@db_task()
def lookup_units(orgnrs: list[str]) -> None:
    """Read named units now (a company the card register sees for the first time)."""
    brreg.lookup(orgnrs)
