"""Benchmark: generate, full recompute and incremental recompute at national scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hmskort_bench \\
      .venv/bin/python bench/recompute.py --cards 1000000 --companies 300000

Runs against an empty (or --reuse: already generated) database. Prints each figure with a
baseline measured in the same run: a plain UPDATE touching the same card rows.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hmskort.settings")
os.environ.setdefault("DEBUG", "1")


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def timed(label: str, fn):
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    print(f"  {label}: {elapsed:.2f} s", flush=True)
    return result, elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--companies", type=int, default=30_000)
    parser.add_argument("--changed-companies", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="Use data already generated.")
    parser.add_argument(
        "--incremental-only",
        action="store_true",
        help="Skip the full recompute (with --reuse: measure only the incremental phase).",
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Case, Value, When

    from hmskort.cards.models import Card
    from hmskort.cards.recompute import recompute_all, recompute_cards
    from hmskort.companies.models import Company
    from hmskort.devdata.generate import generate
    from hmskort.registries.models import BrregUnit

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    call_command("migrate", verbosity=0)
    card_table = Card._meta.db_table

    if args.reuse:
        print(f"reusing {Card.objects.count():,} cards")
    else:
        if Card.objects.exists():
            sys.exit("The database already has cards: use an empty database or --reuse.")
        print(f"generate --companies {args.companies:,} --cards {args.cards:,}")
        reset_peak()
        counts, gen_s = timed(
            "generate", lambda: generate(companies=args.companies, cards=args.cards, seed=args.seed)
        )
        print(f"  {counts['cards'] / gen_s:,.0f} cards/s; peak RSS {rss_mb('VmHWM'):.0f} MB")
    total = Card.objects.count()

    def plain_update(where: str = "", params=()):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {card_table} SET valid = valid {where}", params)
            return cursor.rowcount

    if not args.incremental_only:
        print(f"full recompute of {total:,} cards")
        _touched, base_full = timed("baseline: plain UPDATE of every card", plain_update)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {card_table}")
        rss_before = rss_mb()
        reset_peak()
        changed, full_s = timed("recompute --all", lambda: recompute_all(cause="bench full"))
        peak = rss_mb("VmHWM")
        print(
            f"  {changed:,} changed; {total / full_s:,.0f} cards/s; ratio to baseline "
            f"{full_s / base_full:.2f}x"
        )
        print(
            f"  memory: RSS before {rss_before:.0f} MB, peak during {peak:.0f} MB "
            f"(+{peak - rss_before:.0f} MB for {total:,} cards)"
        )

    print(f"incremental recompute after {args.changed_companies:,} companies change")
    rng = random.Random(args.seed)
    main_ids = list(
        Company.objects.filter(parent__isnull=True).values_list("pk", flat=True).order_by("pk")
    )
    chosen = rng.sample(main_ids, min(args.changed_companies, len(main_ids)))
    orgnrs = list(Company.objects.filter(pk__in=chosen).values_list("orgnr", flat=True))
    # The register update itself (as an adapter would write it): flip the VAT registration.
    with transaction.atomic():
        for start in range(0, len(orgnrs), 5000):
            batch = orgnrs[start : start + 5000]
            BrregUnit.objects.filter(orgnr__in=batch).update(
                registered_in_vat=Case(
                    When(registered_in_vat=True, then=Value(False)), default=Value(True)
                )
            )
    cards_of_chosen = Card.objects.filter(company_id__in=chosen).count()
    if connection.vendor == "postgresql":
        _touched, base_inc = timed(
            f"baseline: plain UPDATE of the {cards_of_chosen:,} cards of those companies",
            lambda: plain_update("WHERE company_id = ANY(%s)", [chosen]),
        )
    else:
        _touched, base_inc = timed(
            f"baseline: plain UPDATE of the {cards_of_chosen:,} cards of those companies",
            lambda: sum(
                plain_update(
                    f"WHERE company_id IN ({','.join(str(int(c)) for c in chosen[i : i + 900])})"
                )
                for i in range(0, len(chosen), 900)
            ),
        )
    # As the job of an Enhetsregisteret run passes them: units whose own register facts moved.
    changed, inc_s = timed(
        "recompute_cards(unit_orgnrs=...)",
        lambda: recompute_cards(unit_orgnrs=orgnrs, cause="bench incremental"),
    )
    print(
        f"  {changed:,} of {cards_of_chosen:,} cards changed; ratio to baseline "
        f"{inc_s / base_inc:.2f}x"
    )


if __name__ == "__main__":
    main()
