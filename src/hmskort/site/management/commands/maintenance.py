"""hmskort maintenance schedule --start ISO --end ISO --message-nb T --message-en T | list |
cancel ID

Times without an offset are Norwegian time (Europe/Oslo). A window that overlaps another, ends
before it starts or is already over is refused with exit status 2 and says why.
"""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from hmskort.audit.services import Actor
from hmskort.site import selectors, services
from hmskort.site.selectors import NORWAY

REFUSED = 2


def parse_moment(value: str, option: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            f"{option}: {value!r} is not an ISO date and time (e.g. 2027-01-30T18:00)",
            returncode=REFUSED,
        ) from exc
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=NORWAY)
    return moment


class Command(BaseCommand):
    help = "Schedule, list and cancel maintenance windows."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        schedule = sub.add_parser(
            "schedule", help="Schedule a window (times without an offset are Norwegian time)."
        )
        schedule.add_argument("--start", required=True, help="ISO 8601, e.g. 2027-01-30T18:00")
        schedule.add_argument("--end", required=True, help="ISO 8601, e.g. 2027-01-30T22:00")
        schedule.add_argument("--message-nb", required=True, help="The message in bokmål")
        schedule.add_argument("--message-en", required=True, help="The message in English")
        sub.add_parser("list", help="Scheduled windows not yet over, one a line, its ID first.")
        cancel = sub.add_parser("cancel", help="Cancel a window (one in progress ends now).")
        cancel.add_argument("id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate("en")
        actor = Actor.system("hmskort maintenance")
        action = options["action"]
        if action == "schedule":
            starts_at = parse_moment(options["start"], "--start")
            ends_at = parse_moment(options["end"], "--end")
            try:
                window = services.schedule_window(
                    starts_at=starts_at,
                    ends_at=ends_at,
                    message_nb=options["message_nb"],
                    message_en=options["message_en"],
                    actor=actor,
                )
            except services.MaintenanceWindowError as exc:
                raise CommandError(" ".join(exc.messages), returncode=REFUSED) from exc
            self.stdout.write(self.line(window))
        elif action == "list":
            for window in selectors.scheduled_windows():
                self.stdout.write(self.line(window))
        else:
            try:
                window = services.cancel_window(window_id=options["id"], actor=actor)
            except services.MaintenanceWindowError as exc:
                raise CommandError(" ".join(exc.messages), returncode=REFUSED) from exc
            self.stdout.write(f"Cancelled {self.line(window)}")

    @staticmethod
    def line(window) -> str:
        start = window.starts_at.astimezone(NORWAY).isoformat(timespec="minutes")
        end = window.ends_at.astimezone(NORWAY).isoformat(timespec="minutes")
        return f"{window.pk}\t{start}\t{end}\t{window.message_en or window.message_nb}"
