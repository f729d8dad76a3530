"""`hmskort demo`: load the demo world (idempotent) and write var/demo.json."""

import json
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hmskort.devdata import demo


class Command(BaseCommand):
    help = "Load the demo data (idempotent) and write var/demo.json."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--output", default="", help="Where to write (default var/demo.json).")

    def handle(self, *args: Any, **options: Any) -> None:
        data = demo.load()
        problems = demo.mismatches(data)
        if problems:
            raise CommandError("Demo cards do not come out as promised:\n" + "\n".join(problems))
        path = options["output"] or settings.VAR_DIR / "demo.json"
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
            f.write("\n")
        valid = sum(1 for c in data["cards"] if c["valid"])
        self.stdout.write(
            f"Demo data loaded: {len(data['persons'])} persons who can log in, "
            f"{len(data['cards'])} cards ({valid} valid). Written to {path}"
        )
