"""`hmskort generate --companies N --cards M --seed S`: synthetic data at scale for benchmarks."""

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hmskort.devdata.generate import generate


class Command(BaseCommand):
    help = "Generate synthetic companies, persons, employments and cards (for benchmarks)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--companies", type=int, default=1000)
        parser.add_argument("--cards", type=int, default=10000)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["companies"] < 1 or options["cards"] < 0:
            raise CommandError("--companies must be at least 1 and --cards at least 0.")
        started = time.monotonic()
        counts = generate(
            companies=options["companies"],
            cards=options["cards"],
            seed=options["seed"],
            progress=lambda msg: self.stderr.write(f"  {msg} ({time.monotonic() - started:.1f} s)"),
        )
        elapsed = time.monotonic() - started
        summary = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items())
        self.stdout.write(f"Generated {summary} in {elapsed:.1f} s.")
