"""CSV bulk ordering: validation time and query count for a file of N rows (default 5,000),
against the baseline of reading the same file with the csv module only.

Runs in a throwaway SQLite database under a temporary HMSKORT_VAR_DIR unless DATABASE_URL is
set (then it uses that database: a company and N/10 persons with cards are added to it).

    .venv/bin/python bench/bulk_order.py [--rows 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import sys
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        os.environ["HMSKORT_VAR_DIR"] = tempfile.mkdtemp()
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hmskort.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    from hmskort.cards.models import Card, CardType
    from hmskort.cards.numbers import new_card_number, new_qr_token
    from hmskort.companies.models import Company
    from hmskort.identifiers import make_national_id, make_orgnr
    from hmskort.orders.bulk import check_rows, parse_csv
    from hmskort.people.models import Person

    construction = CardType.objects.get(code="construction")
    company, _ = Company.objects.get_or_create(
        orgnr=make_orgnr("39999999") or make_orgnr("39999998"),
        defaults={"name": "Bench Bulk AS", "card_type": construction},
    )
    numbers = []
    individual = 0
    day = dt.date(1960, 1, 1)
    while len(numbers) < args.rows:
        number = make_national_id(day, individual)
        if number:
            numbers.append(number)
        individual += 1
        if individual == 500:
            individual, day = 0, day + dt.timedelta(days=1)
    # A tenth of the people already hold a card: the check must find them.
    if not Person.objects.filter(national_id=numbers[0]).exists():
        persons = Person.objects.bulk_create(
            Person(national_id=n, given_name="Bench", family_name=str(i))
            for i, n in enumerate(numbers[: args.rows // 10])
        )
        Card.objects.bulk_create(
            Card(
                number=new_card_number(),
                qr_token=new_qr_token(),
                card_type=construction,
                holder=p,
                company=company,
                state="issued",
                expires_on=dt.date.today() + dt.timedelta(days=300),
            )
            for p in persons
        )
    text = "fnr,navn,epost\n" + "\n".join(
        f"{n},Bench Person{i},p{i}@example.com" for i, n in enumerate(numbers)
    )
    data = text.encode()
    best_base = best = float("inf")
    queries = problems = 0
    for _ in range(args.repeat):
        start = time.perf_counter()
        list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        best_base = min(best_base, time.perf_counter() - start)
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            rows = check_rows(company, construction, parse_csv(data))
        best = min(best, time.perf_counter() - start)
        queries = len(captured)
        problems = sum(1 for r in rows if r.problems)
    print(
        f"{connection.vendor}, {args.rows} rows ({problems} with a card already), "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(f"csv.reader only:        {best_base * 1000:8.1f} ms")
    print(f"parse + check (report): {best * 1000:8.1f} ms  ({best / best_base:.1f} x csv.reader)")
    print(f"queries:                {queries}")


if __name__ == "__main__":
    sys.exit(main())
