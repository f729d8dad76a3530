"""Benchmark: a register change reaches the card check, end to end, in real processes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hmskort_bench REDIS_URL=redis://127.0.0.1:6379/6 \\
      .venv/bin/python bench/register_to_check.py --port 26100 [--cards 100000 --companies 30000]

The chain measured, each part a real process or server:

1. Enhetsregisteret's change feed `/oppdateringer/enheter` and its per-unit API, served by a
   stand-in HTTP server in this process (werkzeug), publishes a change to one unit: its VAT
   registration goes (every second round: comes back);
2. the periodic feed job `registries.tasks.sync_brreg_feeds` is queued on Redis, as the huey
   scheduler queues it every feed interval (every 5 minutes), and a real huey consumer
   (`hmskort run_huey --no-periodic`) runs it: it reads the feed, fetches the unit, stores the
   facts and announces the unit;
3. the same consumer runs the recompute job that announcement queued (`cards.tasks.recompute_facts`);
4. gunicorn serves `GET /api/v1/cards/{n}`, polled every 20 ms until it answers the new validity.

Printed per round: the time from queuing the feed job to the first check answering the new
validity. A change published just after a feed run waits one feed interval for the next run, so
the worst case from publication to the check is the feed interval plus this figure; the aim is
that figure under 30 s. With an empty database a small world is generated first (--cards).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "src"))
API = "/enhetsregisteret/api"
FEED_INTERVAL_S = 300  # registries.tasks.sync_brreg_feeds: crontab(minute="*/5")


class RegisterStandIn:
    """Enhetsregisteret as the feed adapter reads it: the change feed from an `oppdateringsid`
    and each unit by number. Units answer as stored in `units` (orgnr -> JSON)."""

    def __init__(self) -> None:
        self.changes: list[dict] = []
        self.units: dict[str, dict] = {}
        self.lock = threading.Lock()

    def publish(self, unit: dict) -> None:
        with self.lock:
            self.units[unit["organisasjonsnummer"]] = unit
            self.changes.append(
                {
                    "oppdateringsid": 5000 + len(self.changes),
                    "dato": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                    "organisasjonsnummer": unit["organisasjonsnummer"],
                    "endringstype": "Endring",
                }
            )

    def __call__(self, environ, start_response):
        from werkzeug import Request, Response

        request = Request(environ)
        path = request.path
        with self.lock:
            if path == f"{API}/oppdateringer/enheter":
                first = int(request.args.get("oppdateringsid", 0))
                found = [c for c in self.changes if c["oppdateringsid"] >= first]
                body: dict = {"page": {"size": 1000, "totalElements": len(found), "number": 0}}
                if found:
                    body["_embedded"] = {"oppdaterteEnheter": found}
                response = Response(json.dumps(body), content_type="application/json")
            elif path == f"{API}/oppdateringer/underenheter":
                body = {"page": {"size": 1000, "totalElements": 0, "number": 0}}
                response = Response(json.dumps(body), content_type="application/json")
            elif path.startswith(f"{API}/enheter/") and path.rsplit("/", 1)[1] in self.units:
                response = Response(
                    json.dumps(self.units[path.rsplit("/", 1)[1]]),
                    content_type="application/vnd.brreg.enhetsregisteret.enhet.v2+json",
                )
            else:
                response = Response("not found", status=404)
        return response(environ, start_response)


def unit_json(unit) -> dict:
    """A stored BrregUnit as Enhetsregisteret's per-unit API answers it."""
    data = {
        "organisasjonsnummer": unit.orgnr,
        "navn": unit.name,
        "organisasjonsform": {"kode": unit.organisation_form, "beskrivelse": ""},
        "registrertIMvaregisteret": unit.registered_in_vat,
        "konkurs": unit.bankrupt,
        "underAvvikling": unit.under_liquidation,
        "underTvangsavviklingEllerTvangsopplosning": unit.under_forced_dissolution,
        "naeringskode1": {"kode": unit.nace_code or "41.200", "beskrivelse": ""},
    }
    if unit.deleted_on:
        data["slettedato"] = unit.deleted_on.isoformat()
    return data


def pick_card():
    """An issued, valid card of a main unit that Enhetsregisteret knows and that has no
    exemption from the VAT duty: flipping the unit's VAT registration flips the card."""
    from hmskort.cards.models import Card, CardState
    from hmskort.registries.models import BrregUnit

    for card in (
        Card.objects.filter(
            state=CardState.ISSUED,
            valid=True,
            company__parent__isnull=True,
            company__vat_exempt=False,
        )
        .select_related("company")
        .order_by("pk")[:200]
    ):
        unit = BrregUnit.objects.filter(
            orgnr=card.company.orgnr, registered_in_vat=True, is_sub_unit=False
        ).first()
        if unit is not None:
            return card, unit
    sys.exit("no issued valid card of a VAT-registered main unit found")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=26100, help="gunicorn; the stand-in uses +1")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--cards", type=int, default=20_000, help="generated if none exist")
    parser.add_argument("--companies", type=int, default=6_000)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        sys.exit("REDIS_URL is required: the jobs run on a real huey consumer over Redis")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hmskort.settings")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    stand_in_url = f"http://127.0.0.1:{args.port + 1}{API}"
    os.environ["HMSKORT_BRREG_URL"] = stand_in_url
    import django

    django.setup()
    import httpx
    from django.core.management import call_command
    from django.db import connection
    from huey.contrib.djhuey import HUEY
    from werkzeug.serving import make_server

    from hmskort.cards.models import Card
    from hmskort.devdata.generate import generate
    from hmskort.registries.models import FeedCursor
    from hmskort.registries.tasks import sync_brreg_feeds

    call_command("migrate", verbosity=0)
    if not Card.objects.exists():
        print(f"generate --companies {args.companies:,} --cards {args.cards:,}")
        generate(companies=args.companies, cards=args.cards, seed=1)
    card, unit = pick_card()
    print(f"database: {connection.vendor}, {Card.objects.count():,} cards; card {card.number}")
    # The feed continues from here (as after a bulk import); earlier stand-in ids are below it.
    FeedCursor.objects.update_or_create(feed="brreg:enheter", defaults={"last_update_id": 4999})
    FeedCursor.objects.update_or_create(
        feed="brreg:underenheter", defaults={"last_update_id": 4999}
    )
    connection.close()
    HUEY.flush()

    stand_in = RegisterStandIn()
    register = make_server("127.0.0.1", args.port + 1, stand_in, threaded=True)
    threading.Thread(target=register.serve_forever, daemon=True).start()
    env = {
        **os.environ,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "HMSKORT_CHECK_RATE_PER_MINUTE": str(10**9),
        "HMSKORT_CHECK_RATE_PER_DAY": str(10**9),
    }
    processes = [
        subprocess.Popen(
            [BIN / "hmskort", "run_huey", "--no-periodic", "-w", "2", "-k", "thread", "-q"],
            env=env,
            cwd=ROOT,
            start_new_session=True,
        ),
        subprocess.Popen(
            [
                BIN / "gunicorn",
                "hmskort.wsgi:application",
                "--bind",
                f"127.0.0.1:{args.port}",
                "--workers",
                "2",
                "--worker-class",
                "gthread",
                "--threads",
                "4",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
            start_new_session=True,
        ),
    ]
    check_url = f"http://127.0.0.1:{args.port}/api/v1/cards/{card.number}"
    latencies = []
    try:
        with httpx.Client(timeout=10) as client:
            for _ in range(200):
                try:
                    if client.get(check_url).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            valid = client.get(check_url).json()["valid"]
            print(f"the check answers valid={valid} before the first change")
            in_vat = unit.registered_in_vat
            feed_lock = HUEY.lock_task("registries-brreg-feeds")
            for n in range(args.rounds):
                # The previous round's feed job may still be reading the sub-unit feed: a feed
                # job queued while one runs is skipped (its lock), as in production.
                while feed_lock.is_locked() or HUEY.pending_count():
                    time.sleep(0.05)
                in_vat = not in_vat
                unit.registered_in_vat = in_vat
                stand_in.publish(unit_json(unit))
                load = os.getloadavg()[0]
                queued = time.perf_counter()
                sync_brreg_feeds()  # what the scheduler queues every feed interval
                while True:
                    answer = client.get(check_url).json()
                    if answer["valid"] == in_vat:
                        break
                    if time.perf_counter() - queued > 120:
                        sys.exit(f"round {n + 1}: no new answer after 120 s: {answer}")
                    time.sleep(0.02)
                elapsed = time.perf_counter() - queued
                latencies.append(elapsed)
                print(
                    f"  round {n + 1}: VAT registration {'back' if in_vat else 'gone'} -> "
                    f"check answers valid={answer['valid']} after {elapsed:.2f} s (load {load:.1f})",
                    flush=True,
                )
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)
        register.shutdown()

    median = statistics.median(latencies)
    print()
    print(
        f"feed job queued -> check answers the new validity: median {median:.2f} s, "
        f"max {max(latencies):.2f} s over {len(latencies)} rounds"
    )
    print(
        f"worst case from publication: feed interval {FEED_INTERVAL_S} s + {max(latencies):.2f} s "
        f"(aim: interval + 30 s: {'met' if max(latencies) < 30 else 'NOT met'})"
    )
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
