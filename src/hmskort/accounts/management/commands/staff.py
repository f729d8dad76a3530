"""hmskort staff create --username U --role R [--name N] | list"""

from __future__ import annotations

from argparse import ArgumentParser

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from hmskort.accounts.staff import StaffRole, create_staff_user
from hmskort.audit.services import Actor


class Command(BaseCommand):
    help = "Back-office staff accounts: create one (password and TOTP secret shown once), list."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a staff user, or reset one")
        create.add_argument("--username", required=True)
        create.add_argument("--role", required=True, choices=StaffRole.values)
        create.add_argument("--name", default="", help="The person's full name")
        sub.add_parser("list", help="List staff users and their roles")

    def handle(self, *args, action: str, **options):
        if action == "create":
            if not options["username"].strip():
                raise CommandError("The username is empty.")
            new = create_staff_user(
                username=options["username"].strip(),
                role=options["role"],
                full_name=options["name"],
                actor=Actor.system("hmskort staff create"),
            )
            self.stdout.write(f"username:    {new.user.username}")
            self.stdout.write(f"role:        {options['role']}")
            self.stdout.write(f"password:    {new.password}")
            self.stdout.write(f"TOTP secret: {new.totp_secret}")
            self.stdout.write(f"TOTP URI:    {new.totp_uri}")
            self.stdout.write("Hand these over in person; they are not shown again.")
            return
        users = User.objects.filter(groups__name__in=StaffRole.values).distinct()
        for user in users.order_by("username").prefetch_related("groups"):
            roles = ", ".join(sorted(g.name for g in user.groups.all()))
            state = "" if user.is_active else " (inactive)"
            self.stdout.write(f"{user.username}\t{roles}{state}")
