"""Benchmark of the card check API on PostgreSQL under gunicorn, with wrk.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hmskort_wt5 \
    REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/check_api.py --cards 1000000

Fills the database up to --cards cards (bulk inserts; `hmskort generate` when it exists is
not needed), starts gunicorn on 127.0.0.1:--port with production settings (DEBUG off), and
measures in the same run, every server with the same gunicorn settings:

- baselines from a minimal Django project (bench/baseline_app.py: startproject's default
  middleware): a constant JSON answer, and the naive check (one raw-SQL lookup of the card by
  number);
- GET /api/v1/ping (constant JSON, no database);
- GET /api/v1/cards/{n} for random existing numbers (of a sample of 100,000), with the answer
  cache (cards.checkcache) as the hourly job leaves it: every card's answer stored
  (`hmskort cards warm-cache`, timed once before the rounds); how many answers the checks
  stored (their misses);
- with --cold, the same on a server whose answer cache starts empty before each run (its own
  Redis database: after a Redis restart, before the hourly job has run; nearly all misses);
  with --uncached, the same with the answer cache off (as before it existed); with --hot N,
  checks of only N numbers (a site's crew checked again and again);
- POST /api/v1/cards/check with 1000 random existing numbers (sequential requests).

Prints requests per second, p50 and p99 latency, and the ratios to the baselines. Needs `wrk`
(Debian package `wrk`).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# Each wrk thread draws its own random sequence (seeded with the thread's number: seeded with
# the time alone, both threads would send the same numbers, and half the checks would repeat).
LUA = """
local numbers = {}
for line in io.lines("%(path)s") do numbers[#numbers + 1] = line end
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end
function init(args)
  math.randomseed(os.time() * 100 + thread_no)
end
request = function()
  return wrk.format("GET", "%(prefix)s" .. numbers[math.random(#numbers)])
end
"""


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hmskort.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()


def fill(cards: int, seed: int) -> None:
    """Add companies, persons and cards until there are `cards` cards."""
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone
    from stdnum import damm

    from hmskort.cards.models import Card, CardType
    from hmskort.companies.models import Company
    from hmskort.people.models import Person

    have = Card.objects.count()
    if have >= cards:
        print(f"database has {have:,} cards", flush=True)
        return
    rng = random.Random(seed + have)
    card_type = CardType.objects.get(code="construction")
    companies = list(Company.objects.filter(orgnr__startswith="8").values_list("pk", flat=True))
    if not companies:
        Company.objects.bulk_create(
            Company(orgnr=f"8{i:08d}", name=f"Benk Bygg {i} AS", card_type=card_type)
            for i in range(2000)
        )
        companies = list(Company.objects.filter(orgnr__startswith="8").values_list("pk", flat=True))
    now = timezone.now()
    today = timezone.localdate()
    batch = 10_000
    start = time.monotonic()
    offset = Person.objects.filter(national_id__startswith="9").count()
    while have < cards:
        n = min(batch, cards - have)
        with transaction.atomic():
            persons = Person.objects.bulk_create(
                Person(
                    national_id=f"9{offset + i:010d}",
                    given_name=f"Benk{offset + i}",
                    family_name="Nordmann",
                    birth_date=dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
                )
                for i in range(n)
            )
            rows = []
            for person in persons:
                body = f"{rng.randrange(10**10, 10**11)}"
                issued = today - dt.timedelta(days=rng.randrange(0, 700))
                rows.append(
                    Card(
                        number=body + damm.calc_check_digit(body),
                        qr_token=secrets.token_urlsafe(24),
                        card_type=card_type,
                        holder=person,
                        company_id=rng.choice(companies),
                        state="issued",
                        issued_on=issued,
                        expires_on=issued.replace(year=issued.year + 2)
                        if not (issued.month == 2 and issued.day == 29)
                        else issued + dt.timedelta(days=730),
                        valid=rng.random() < 0.9,
                        reasons=[],
                        validity_changed_at=now,
                    )
                )
            Card.objects.bulk_create(rows, ignore_conflicts=True)
        offset += n
        have = Card.objects.count()
        rate = (have) / max(1e-6, time.monotonic() - start)
        print(f"  {have:,} / {cards:,} cards ({rate:,.0f}/s)", flush=True)


def sample_numbers(k: int) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT number FROM cards_card TABLESAMPLE SYSTEM (20) WHERE state = 'issued' LIMIT %s",
            [k],
        )
        numbers = [row[0] for row in cursor.fetchall()]
    random.shuffle(numbers)
    return numbers


def prewarm(numbers: list[str]) -> None:
    """Read every sampled card with its holder and employer once, so that no server measured
    first pays for reading them from disk."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), sum(length(p.given_name) + length(co.name)) FROM cards_card c "
            "JOIN people_person p ON p.id = c.holder_id "
            "JOIN companies_company co ON co.id = c.company_id WHERE c.number = ANY(%s)",
            [numbers],
        )


def warm_answers() -> tuple[int, float]:
    """Every card's answer into the cache, as the hourly job stores them: (answers, seconds)."""
    from hmskort.cards import checkcache

    started = time.monotonic()
    stored = checkcache.warm()
    return stored, time.monotonic() - started


def redis_keys(url: str) -> int:
    """How many keys the Redis database of `url` holds (answers, limit counters, tombstones)."""
    import redis

    return int(redis.Redis.from_url(url).dbsize())


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def other_redis_db(url: str) -> str:
    """The same Redis server's next database: the --cold server's own, empty cache."""
    head, _slash, db = url.rstrip("/").rpartition("/")
    if not db.isdigit():
        head, db = url.rstrip("/"), "0"
    return f"{head}/{(int(db) + 1) % 16}"


def make_key() -> str:
    from hmskort.audit.services import Actor
    from hmskort.integrations import services

    _key, plaintext = services.create_api_key(
        name="bench", actor=Actor.system("bench"), rate_per_minute=10**9, daily_quota=10**9
    )
    return plaintext


def wrk(url: str, *, duration: int, connections: int, script: str | None = None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout

    def latency(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "requests": total,
        "p50": latency("50"),
        "p99": latency("99"),
        "non2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


COLD = "GET /api/v1/cards/{n}, cold cache"
BASED = "GET /api/v1/cards/{n}, --base-src"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--cards", type=int, default=1_000_000)
    parser.add_argument("--port", type=int, default=8510)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--worker-class", default="sync", help="gunicorn worker class (sync or gthread)"
    )
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    parser.add_argument(
        "--uncached",
        action="store_true",
        help="also measure hmskort with the answer cache off (HMSKORT_CHECK_CACHE_SECONDS=0: "
        "two Redis round trips for the limits, then PostgreSQL, as before issue 15's cache)",
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="also measure hmskort with an answer cache that starts empty before each run (its "
        "own Redis database: the REDIS_URL's number + 1): nearly every check a miss",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure every endpoint this many times, in alternating order; medians printed",
    )
    parser.add_argument(
        "--base-src",
        help="also measure GET /api/v1/cards/{n} served from another checkout's src/ (e.g. a "
        "worktree of the commit before a change), same settings: a before/after in one run. Run "
        "by that checkout's own .venv when it has one (its own packages), with an answer cache "
        "of its own that starts empty (REDIS_URL's number + 2), as before the warm job",
    )
    parser.add_argument(
        "--base-warm",
        action="store_true",
        help="with --base-src: the other checkout shares this run's answer cache, filled as the "
        "hourly job leaves it (for a base that has the same cache and key format: the code's "
        "cost alone, before and after)",
    )
    parser.add_argument(
        "--hot",
        type=int,
        default=0,
        help="also measure checks drawn from only N numbers (a site's crew checked again and "
        "again: mostly answered from the cache)",
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")
    if not os.environ.get("REDIS_URL", "").startswith("redis"):
        sys.exit("Set REDIS_URL to a Redis database (the answer cache and the rate limits).")
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: install the Debian package `wrk` (apt-get install wrk).")

    subprocess.run(
        [BIN / "hmskort", "migrate", "--noinput", "-v", "0"],
        check=True,
        env={**os.environ, "DEBUG": os.environ.get("DEBUG", "1")},
    )
    setup_django()
    fill(args.cards, args.seed)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cards_card")
    numbers = sample_numbers(100_000)
    prewarm(numbers)
    key = make_key()
    redis_url = os.environ["REDIS_URL"]
    warmed, warm_seconds = warm_answers()
    print(f"answer cache warmed: {warmed:,} answers in {warm_seconds:.1f} s", flush=True)
    connection.close()

    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        # The benchmark measures the check, not the limiter's refusals (the limiter still runs).
        "HMSKORT_CHECK_RATE_PER_MINUTE": str(10**9),
        "HMSKORT_CHECK_RATE_PER_DAY": str(10**9),
    }
    base = f"http://127.0.0.1:{args.port}"
    bare = f"http://127.0.0.1:{args.port + 1}"

    def serve(app: str, port: int, bin_dir: Path = BIN, **extra_env: str) -> subprocess.Popen:
        return subprocess.Popen(
            [
                bin_dir / "gunicorn",
                app,
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--worker-class",
                args.worker_class,
                "--threads",
                str(args.threads),
                "--log-level",
                "warning",
            ],
            env={**env, **extra_env},
            cwd=ROOT,
        )

    gunicorn = serve("hmskort.wsgi:application", args.port)
    baseline_server = serve("bench.baseline_app:application", args.port + 1)
    servers = [gunicorn, baseline_server]
    uncached = f"http://127.0.0.1:{args.port + 2}"
    if args.uncached:
        servers.append(
            serve("hmskort.wsgi:application", args.port + 2, HMSKORT_CHECK_CACHE_SECONDS="0")
        )
    cold = f"http://127.0.0.1:{args.port + 4}"
    cold_redis = other_redis_db(os.environ["REDIS_URL"])
    if args.cold:
        servers.append(serve("hmskort.wsgi:application", args.port + 4, REDIS_URL=cold_redis))
    based = f"http://127.0.0.1:{args.port + 3}"
    based_redis = os.environ["REDIS_URL"] if args.base_warm else other_redis_db(cold_redis)
    if args.base_src:
        base_src = Path(args.base_src).resolve()
        base_bin = base_src.parent / ".venv" / "bin"
        servers.append(
            serve(
                "hmskort.wsgi:application",
                args.port + 3,
                bin_dir=base_bin if (base_bin / "gunicorn").exists() else BIN,
                PYTHONPATH=str(base_src),
                REDIS_URL=based_redis,
            )
        )
    try:
        import httpx

        for url in (
            f"{base}/api/v1/ping",
            f"{bare}/const",
            *([f"{uncached}/api/v1/ping"] if args.uncached else []),
            *([f"{cold}/api/v1/ping"] if args.cold else []),
            *([f"{based}/api/v1/ping"] if args.base_src else []),
        ):
            for _ in range(100):
                try:
                    if httpx.get(url, timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
        with tempfile.TemporaryDirectory() as tmp:
            numbers_file = Path(tmp) / "numbers.txt"
            numbers_file.write_text("\n".join(numbers) + "\n")
            lua = Path(tmp) / "cards.lua"
            lua.write_text(LUA % {"path": numbers_file, "prefix": "/api/v1/cards/"})
            naive_lua = Path(tmp) / "naive.lua"
            naive_lua.write_text(LUA % {"path": numbers_file, "prefix": "/card/"})
            run = {
                "minimal Django, constant JSON": (f"{bare}/const", None),
                "minimal Django, one SQL lookup": (bare, str(naive_lua)),
                "GET /api/v1/ping": (f"{base}/api/v1/ping", None),
                "GET /api/v1/cards/{n}": (base, str(lua)),
            }
            if args.cold:
                run[COLD] = (cold, str(lua))
            if args.uncached:
                run["GET /api/v1/cards/{n}, cache off"] = (uncached, str(lua))
            if args.base_src:
                run[BASED] = (based, str(lua))
            if args.hot:
                hot_file = Path(tmp) / "hot.txt"
                hot_file.write_text("\n".join(numbers[: args.hot]) + "\n")
                hot_lua = Path(tmp) / "hot.lua"
                hot_lua.write_text(LUA % {"path": hot_file, "prefix": "/api/v1/cards/"})
                run[f"GET /api/v1/cards/{{n}}, {args.hot} hot numbers"] = (base, str(hot_lua))
            # Warm up every worker's connections and caches.
            for url, script in run.values():
                wrk(url, duration=3, connections=args.connections, script=script)
            load = os.getloadavg()
            rounds: list[dict[str, dict]] = []
            for round_no in range(args.rounds):
                # Alternate the order, so no endpoint is always measured first or last.
                names = list(run) if round_no % 2 == 0 else list(reversed(run))
                measured = {}
                for name in names:
                    url, script = run[name]
                    if name == COLD or (name == BASED and not args.base_warm):
                        # Its answer cache starts empty.
                        flush_redis(cold_redis if name == COLD else based_redis)
                    keys_before = redis_keys(cold_redis if name == COLD else redis_url)
                    measured[name] = wrk(
                        url, duration=args.duration, connections=args.connections, script=script
                    )
                    if name in ("GET /api/v1/cards/{n}", COLD):
                        # New keys: the answers its misses stored (counters exist already).
                        keys_after = redis_keys(cold_redis if name == COLD else redis_url)
                        measured[name]["stored"] = keys_after - keys_before
                rounds.append(measured)
                card_rps = measured["GET /api/v1/cards/{n}"]["rps"]
                measured["ratios"] = {
                    "const": card_rps / measured["minimal Django, constant JSON"]["rps"],
                    "naive": card_rps / measured["minimal Django, one SQL lookup"]["rps"],
                }
                if args.rounds > 1:
                    print(
                        f"round {round_no + 1}: "
                        + ", ".join(
                            f"{name} {r['rps']:.0f}/s p99 {r['p99']:.0f} ms"
                            for name, r in measured.items()
                            if name in run
                        )
                        + f"; card/const {measured['ratios']['const']:.0%}, "
                        f"card/naive {measured['ratios']['naive']:.2f}x",
                        flush=True,
                    )
            results = {
                name: {
                    key: statistics.median(r[name][key] for r in rounds)
                    for key in rounds[0][name]
                    if key != "socket_errors"
                }
                | {
                    "socket_errors": "; ".join(
                        r[name]["socket_errors"] for r in rounds if r[name]["socket_errors"]
                    )
                }
                for name in run
            }
            load_after = os.getloadavg()

        timings = []
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
            for i in range(args.batches + 3):
                batch = random.sample(numbers, 1000)
                started = time.perf_counter()
                response = client.post("/api/v1/cards/check", json={"card_numbers": batch})
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, response.text[:200]
                assert sum(r["found"] for r in response.json()["results"]) == 1000
                if i >= 3:
                    timings.append(elapsed)
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:  # a loaded machine: do not lose the figures
                server.kill()
                server.wait()

    timings.sort()
    print()
    print(
        f"cards in database: {args.cards:,}; gunicorn {args.workers} {args.worker_class} workers"
        + (f" x {args.threads} threads" if args.worker_class == "gthread" else "")
        + f"; wrk -t2 -c{args.connections} -d{args.duration}s; load average before: "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, after: {load_after[0]:.2f} "
        f"{load_after[1]:.2f} {load_after[2]:.2f} on {os.cpu_count()} CPUs"
    )
    if args.rounds > 1:
        print(f"medians of {args.rounds} rounds:")
    print(f"{'endpoint':36} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for name, r in results.items():
        print(
            f"{name:36} {r['rps']:9.0f} {r['p50']:8.2f} {r['p99']:8.2f} {r['non2xx']:8.0f}"
            + (f"  socket errors: {r['socket_errors']}" if r["socket_errors"] else "")
        )
    cards = results["GET /api/v1/cards/{n}"]
    const = results["minimal Django, constant JSON"]["rps"]
    naive = results["minimal Django, one SQL lookup"]["rps"]
    if args.rounds > 1:
        const_ratio = statistics.median(r["ratios"]["const"] for r in rounds)
        naive_ratio = statistics.median(r["ratios"]["naive"] for r in rounds)
        print(
            f"median of the rounds' ratios: {const_ratio:.0%} of constant JSON, "
            f"{naive_ratio:.2f}x the naive app"
        )
    print(
        f"GET /api/v1/cards/{{n}}: {cards['rps'] / const:.0%} of the minimal constant-JSON app "
        f"(aim >= 60 %), {cards['rps'] / naive:.2f}x the naive one-query app (aim >= 1.25x), "
        f"p99 {cards['p99']:.1f} ms (aim < 30 ms)"
    )
    print(
        f"answer cache: {warmed:,} answers stored by `cards warm-cache` in {warm_seconds:.1f} s "
        "before the rounds"
    )
    for name in ("GET /api/v1/cards/{n}", COLD):
        if name in results:
            r = results[name]
            print(
                f"{name}: {r['requests']:,.0f} requests, {r['stored']:,.0f} answers stored "
                f"(misses), about {1 - r['stored'] / max(1, r['requests']):.0%} answered from "
                f"the cache; {r['rps'] / const:.0%} of constant JSON, {r['rps'] / naive:.2f}x "
                "the naive app"
            )
    print(
        f"POST /api/v1/cards/check, 1000 existing numbers, {len(timings)} sequential requests: "
        f"p50 {statistics.median(timings):.0f} ms, max {timings[-1]:.0f} ms (aim < 150 ms)"
    )


if __name__ == "__main__":
    main()
