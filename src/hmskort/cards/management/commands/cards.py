"""`hmskort cards recompute [--all] [--orgnr N ...] [--card NUMBER ...]`: recompute card validity;
`hmskort cards warm-cache`: every card's answer into the check's cache."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hmskort.cards import checkcache
from hmskort.cards.models import Card
from hmskort.cards.numbers import InvalidCardNumber, normalise_card_number
from hmskort.cards.recompute import recompute_all, recompute_cards
from hmskort.cards.tasks import cards_touched_by_time


class Command(BaseCommand):
    help = "Card maintenance. `cards recompute --all` recomputes every card's validity."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        recompute = sub.add_parser("recompute", help="Recompute stored validity and reasons.")
        recompute.add_argument("--all", action="store_true", help="Every card (streamed).")
        recompute.add_argument("--orgnr", action="append", default=[], help="A unit's cards.")
        recompute.add_argument("--card", action="append", default=[], help="A card number.")
        recompute.add_argument("--cause", default="", help="Recorded with each change.")
        recompute.add_argument("--chunk-size", type=int, default=0)
        sub.add_parser(
            "warm-cache",
            help="Store every card's answer in the check's cache (Redis), as the hourly job does.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "recompute":
            self._recompute(options)
        elif options["action"] == "warm-cache":
            started = time.monotonic()
            stored = checkcache.warm()
            self.stdout.write(
                f"{stored:,} answers stored in {time.monotonic() - started:.1f} s"
                if checkcache.enabled()
                else "The check's cache is off (no Redis, or HMSKORT_CHECK_CACHE_SECONDS=0)."
            )

    def _recompute(self, options: dict[str, Any]) -> None:
        started = time.monotonic()
        if options["all"]:
            cause = options["cause"] or "recompute --all"
            show = options["verbosity"] >= 1

            def progress(done: int, total: int, changed: int) -> None:
                if show:
                    rate = done / max(time.monotonic() - started, 1e-9)
                    self.stderr.write(
                        f"\r{done:,}/{total:,} cards, {changed:,} changed ({rate:,.0f}/s)",
                        ending="",
                    )
                    self.stderr.flush()

            changed = recompute_all(
                cause=cause, progress=progress, chunk_size=options["chunk_size"]
            )
            if show:
                self.stderr.write("")
        elif options["orgnr"] or options["card"]:
            numbers = []
            for raw in options["card"]:
                try:
                    numbers.append(normalise_card_number(raw))
                except InvalidCardNumber:
                    raise CommandError(f"Not a valid card number: {raw}") from None
            card_ids = list(Card.objects.filter(number__in=numbers).values_list("pk", flat=True))
            changed = recompute_cards(
                card_ids=card_ids, orgnrs=options["orgnr"], cause=options["cause"] or "command"
            )
        else:
            # Without arguments: what time passing may have changed (as the daily job does).
            from django.utils import timezone

            ids = cards_touched_by_time(timezone.localdate())
            changed = recompute_cards(card_ids=ids, cause=options["cause"] or "daily")
        elapsed = time.monotonic() - started
        self.stdout.write(f"{changed} card(s) changed validity or reasons in {elapsed:.1f} s.")
