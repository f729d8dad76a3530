"""`hmskort people revalidate`: check every stored national ID number against today's rules."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from hmskort.audit.services import Actor
from hmskort.people.services import people_revalidate_national_ids


class Command(BaseCommand):
    help = "People maintenance. `people revalidate` rechecks every national ID number."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "revalidate",
            help="Recheck every stored number (after a rule change, or when test identities "
            "are no longer allowed) and recompute the cards of persons whose status changed.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        changed = people_revalidate_national_ids(actor=Actor.system("people revalidate"))
        self.stdout.write(f"{changed} person(s) changed national ID status.")
