"""Benchmark: the employees' overview (`/en/companies/<orgnr>/employees/`) for a company with
5,000 employees against the same page for a company with 10, in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hmskort_bench \\
      .venv/bin/python bench/portal_overview.py --employees 5000 --repeat 5

Creates the two companies (employments in force and a card each, a fifth of them not valid,
some expiring, some without a card) in the configured database if they are not there yet, logs
in a role holder of each through the test client, and prints for each page (the plain list, sorted
by status on page 2, filtered to "not valid", sorted by expiry): the best server time of --repeat
requests (the whole Django request, rendering included), the number of SQL queries, and the ratios
large/small. The two companies' requests take turns, so a change in the machine's load hits both.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hmskort.settings")
os.environ.setdefault("DEBUG", "1")  # static files without collectstatic
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

LARGE_ORGNR, SMALL_ORGNR = "999100006", "999100014"  # synthetic (bench only)


def make_company(orgnr: str, employees: int, seed: int):
    from django.db import connection
    from django.utils import timezone

    from hmskort.cards.models import Card, CardType
    from hmskort.cards.numbers import new_card_number, new_qr_token
    from hmskort.companies.models import Company, Role
    from hmskort.people.models import Employment, Person

    company = Company.objects.filter(orgnr=orgnr).first()
    if company is not None:
        return company
    construction = CardType.objects.get(code="construction")
    company = Company.objects.create(
        orgnr=orgnr, name=f"Bench {employees} AS", organisation_form="AS", card_type=construction
    )
    today = timezone.localdate()
    now = timezone.now()
    base = 10_000_000 + seed * 1_000_000
    persons = Person.objects.bulk_create(
        [
            Person(
                national_id=f"{base + i:011d}",
                given_name=f"Ansatt{i}",
                family_name=f"Etternavn{i % 997}",
                birth_date=dt.date(1970 + i % 30, 1 + i % 12, 1 + i % 28),
            )
            for i in range(employees + 1)
        ],
        batch_size=2000,
    )
    holder, workers = persons[0], persons[1:]
    Role.objects.create(
        company=company,
        national_id=holder.national_id,
        code="DAGL",
        holder_name="Bench Sjef",
        read_at=now,
    )
    Employment.objects.bulk_create(
        [
            Employment(
                person=p,
                employer=company,
                main_unit=company,
                starts_on=dt.date(2020, 1, 1),
                source=Employment.Source.AAREG,
                read_at=now,
            )
            for p in workers
        ],
        batch_size=2000,
    )
    cards = []
    for i, person in enumerate(workers):
        if i % 10 == 9:
            continue  # no card
        invalid = i % 5 == 0
        expires = today + dt.timedelta(days=30 if i % 7 == 0 else 500)
        cards.append(
            Card(
                number=new_card_number(),
                qr_token=new_qr_token(),
                card_type=construction,
                holder=person,
                company=company,
                state="issued",
                issued_on=today - dt.timedelta(days=100),
                expires_on=expires,
                valid=not invalid,
                reasons=["employment_not_reported", "not_in_vat_register"] if invalid else [],
                validity_changed_at=now,
            )
        )
    Card.objects.bulk_create(cards, batch_size=2000)
    with connection.cursor() as cursor:  # the planner's statistics, as autovacuum would keep them
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    return company


VIEWS = ("", "?sort=status&page=2", "?status=not_valid", "?sort=expires")


def measure(clients: dict, repeat: int) -> dict[tuple[str, str], tuple[float, int]]:
    """Best time and query count of each (company, view), the companies taking turns."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    best: dict[tuple[str, str], tuple[float, int]] = {}
    for _ in range(repeat):
        for view in VIEWS:
            for label, (client, base) in clients.items():
                with CaptureQueriesContext(connection) as ctx:
                    started = time.perf_counter()
                    response = client.get(base + view)
                    elapsed = time.perf_counter() - started
                assert response.status_code == 200, response.status_code
                seconds, _queries = best.get((label, view), (float("inf"), 0))
                best[(label, view)] = (min(seconds, elapsed), len(ctx.captured_queries))
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--employees", type=int, default=5000)
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from hmskort.people.models import Person

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    call_command("migrate", verbosity=0)
    large = make_company(LARGE_ORGNR, args.employees, seed=1)
    small = make_company(SMALL_ORGNR, args.small, seed=2)
    clients = {}
    for label, company in (("small", small), ("large", large)):
        holder = Person.objects.get(national_id=company.roles.first().national_id)
        client = Client()
        session = client.session
        session["person_id"] = holder.pk
        session["login_method"] = "test"
        session.save()
        base = f"/en/companies/{company.orgnr}/employees/"
        for view in VIEWS:
            client.get(base + view)  # warm up
        clients[label] = (client, base)
    best = measure(clients, args.repeat)
    print(f"  best of {args.repeat}; {args.small} vs {args.employees} employees; 25 rows a page")
    for view in VIEWS:
        (ss, sq), (ls, lq) = best[("small", view)], best[("large", view)]
        print(
            f"  {view or '(plain list)':<22} small {ss * 1000:7.1f} ms {sq:>2} queries | "
            f"large {ls * 1000:7.1f} ms {lq:>2} queries | ratio time {ls / ss:.1f}x, "
            f"queries {lq / sq:.2f}x"
        )
    print(f"  load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
