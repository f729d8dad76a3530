"""Changes to maintenance windows. Each is atomic and writes its audit event in the same
transaction."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hmskort.audit.services import Actor, record

from . import selectors
from .models import MaintenanceWindow

# Any constant: serialises scheduling on PostgreSQL so two staff cannot add overlapping windows.
_SCHEDULE_LOCK = 7_130_013


class MaintenanceWindowError(ValidationError):
    """A window that cannot be scheduled (the message says why, in the active language)."""


def _lock_schedule() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SCHEDULE_LOCK])
    # SQLite: transactions are IMMEDIATE (settings), so writers already queue one at a time.


def overlapping_windows(*, starts_at: dt.datetime, ends_at: dt.datetime, exclude_pk=None):
    windows = MaintenanceWindow.objects.filter(
        cancelled_at__isnull=True, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if exclude_pk is not None:
        windows = windows.exclude(pk=exclude_pk)
    return windows


def validate_window(
    *, starts_at: dt.datetime, ends_at: dt.datetime, now: dt.datetime | None = None, exclude_pk=None
) -> None:
    """Raise MaintenanceWindowError when the window ends before it starts, is already over, or
    overlaps a scheduled window."""
    now = now or timezone.now()
    if ends_at <= starts_at:
        raise MaintenanceWindowError(
            _("The window must end after it starts."), code="ends_before_start"
        )
    if ends_at <= now:
        raise MaintenanceWindowError(_("The window is already over."), code="in_the_past")
    clash = overlapping_windows(starts_at=starts_at, ends_at=ends_at, exclude_pk=exclude_pk).first()
    if clash is not None:
        raise MaintenanceWindowError(
            _("The window overlaps window %(id)s (%(period)s). Windows may not overlap.")
            % {"id": clash.pk, "period": selectors.window_period(clash)},
            code="overlap",
        )


@transaction.atomic
def schedule_window(
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    message_nb: str,
    message_en: str,
    actor: Actor,
) -> MaintenanceWindow:
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ValueError("starts_at and ends_at must be aware datetimes")
    _lock_schedule()
    validate_window(starts_at=starts_at, ends_at=ends_at)
    window = MaintenanceWindow.objects.create(
        starts_at=starts_at,
        ends_at=ends_at,
        message_nb=message_nb.strip(),
        message_en=message_en.strip(),
        created_by=actor.label or actor.ref,
    )
    record(
        actor=actor,
        action="maintenance.scheduled",
        target=window,
        data={"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()},
    )
    return window


@transaction.atomic
def update_window(
    *,
    window: MaintenanceWindow,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    message_nb: str,
    message_en: str,
    actor: Actor,
) -> MaintenanceWindow:
    _lock_schedule()
    if window.cancelled_at is not None:
        raise MaintenanceWindowError(_("A cancelled window cannot be changed."), code="cancelled")
    validate_window(starts_at=starts_at, ends_at=ends_at, exclude_pk=window.pk)
    window.starts_at, window.ends_at = starts_at, ends_at
    window.message_nb, window.message_en = message_nb.strip(), message_en.strip()
    window.save(update_fields=["starts_at", "ends_at", "message_nb", "message_en"])
    record(
        actor=actor,
        action="maintenance.changed",
        target=window,
        data={"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()},
    )
    return window


@transaction.atomic
def cancel_window(*, window_id: int, actor: Actor) -> MaintenanceWindow:
    """Cancel a window (it stays on record). Cancelling a window in progress ends it now."""
    try:
        window = MaintenanceWindow.objects.select_for_update().get(pk=window_id)
    except MaintenanceWindow.DoesNotExist as exc:
        raise MaintenanceWindowError(
            _("No maintenance window has the ID %(id)s.") % {"id": window_id}, code="not_found"
        ) from exc
    if window.cancelled_at is not None:
        raise MaintenanceWindowError(
            _("Window %(id)s is already cancelled.") % {"id": window_id}, code="cancelled"
        )
    window.cancelled_at = timezone.now()
    window.save(update_fields=["cancelled_at"])
    record(actor=actor, action="maintenance.cancelled", target=window)
    return window
