"""hmskort apikeys create --name NAME | list | revoke PREFIX"""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hmskort.audit.services import Actor
from hmskort.integrations import services
from hmskort.integrations.models import ApiKey


class Command(BaseCommand):
    help = "Create, list and revoke API keys for integrators."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a key and print it once.")
        create.add_argument("--name", required=True)
        create.add_argument("--email", default="")
        create.add_argument("--rate-per-minute", type=int)
        create.add_argument("--daily-quota", type=int)
        sub.add_parser("list", help="List keys (prefixes only).")
        revoke = sub.add_parser("revoke", help="Revoke a key by its prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Actor.system("hmskort apikeys")
        if options["action"] == "create":
            api_key, plaintext = services.create_api_key(
                name=options["name"],
                contact_email=options["email"],
                rate_per_minute=options["rate_per_minute"],
                daily_quota=options["daily_quota"],
                actor=actor,
            )
            self.stderr.write(
                f"Created key {api_key.prefix}… for {api_key.name}. "
                "Copy it now: it is stored hashed and cannot be shown again."
            )
            self.stdout.write(plaintext)
        elif options["action"] == "list":
            for api_key in ApiKey.objects.all():
                state = "revoked" if api_key.revoked_at else "active"
                self.stdout.write(
                    f"{api_key.prefix}\t{state}\t{api_key.rate_per_minute}/min\t"
                    f"{api_key.daily_quota}/day\t{api_key.name}"
                )
        else:
            try:
                api_key = ApiKey.objects.get(prefix=options["prefix"])
            except ApiKey.DoesNotExist as exc:
                raise CommandError(f"No key has the prefix {options['prefix']}") from exc
            services.revoke_api_key(api_key=api_key, actor=actor)
            self.stdout.write(f"Revoked {api_key.prefix}…")
