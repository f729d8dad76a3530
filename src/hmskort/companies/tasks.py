"""Nightly re-read of ordering roles when they come from Enhetsregisteret's authorised API."""

from __future__ import annotations

import logging

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from .models import Company
from .roles import BrregAuthorisedRoleSource, RoleSourceError
from .services import refresh_roles_for_company

log = logging.getLogger(__name__)


@db_periodic_task(crontab(hour="4", minute="40"))
@HUEY.lock_task("companies-roles-sync")
def sync_roles() -> None:
    if settings.HMSKORT_ROLES_SOURCE != "brreg" or not settings.HMSKORT_BRREG_ROLES_TOKEN:
        log.info("roles come from the local source; nothing to sync")
        return
    source = BrregAuthorisedRoleSource(
        settings.HMSKORT_BRREG_ROLES_URL, settings.HMSKORT_BRREG_ROLES_TOKEN
    )
    failed = 0
    orgnrs = Company.objects.filter(parent__isnull=True).values_list("orgnr", flat=True)
    for orgnr in orgnrs.iterator():
        try:
            refresh_roles_for_company(orgnr=orgnr, source=source)
        except RoleSourceError:
            failed += 1
    if failed:
        log.warning(
            "roles sync: %d companies could not be read; their stored roles are kept", failed
        )
