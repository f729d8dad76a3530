"""The status page's read: the service's state, maintenance windows and each register's
freshness.

Apart from `selectors` because it reads the registers: the check API imports `selectors` for
the maintenance window, and the check path never imports `registries`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from hmskort.registries.selectors import source_states

from .models import MaintenanceWindow, ServiceMessage
from .selectors import _windows, active_window, published_service_messages

# --- The status page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceStatus:
    state: str  # "maintenance", "disruption" or "operational"
    active_window: MaintenanceWindow | None
    next_window: MaintenanceWindow | None
    messages: list[ServiceMessage]
    sources: list


def service_status(now: dt.datetime | None = None) -> ServiceStatus:
    now = now or timezone.now()
    active = active_window(now)
    messages = list(published_service_messages(now, limit=5))
    if active is not None:
        state = "maintenance"
    elif any(message.severity == ServiceMessage.Severity.WARNING for message in messages):
        state = "disruption"
    else:
        state = "operational"
    upcoming = [w for w in _windows(now) if w.starts_at > now]
    return ServiceStatus(
        state=state,
        active_window=active,
        next_window=upcoming[0] if upcoming else None,
        messages=messages,
        sources=source_states(now),
    )
