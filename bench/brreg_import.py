"""Enhetsregisteret bulk import: time, peak memory and units per second against a parse-only baseline.

    DATABASE_URL=postgres://… .venv/bin/python bench/brreg_import.py --units 1100000

Generates a gzip JSON array of N units in the shape of `/enheter/lastned` (once, cached under
var/bench/), then runs, each in its own child process so peak memory (ru_maxrss) is its own:

1. parse only: ijson (yajl2_c) streams every unit of the file and does nothing with it;
2. import into an empty table: `hmskort registries import brreg FILE` (the service it calls);
3. re-import of the same file over the stored facts (the daily case: compare, nothing changes),
   after an untimed VACUUM ANALYZE of the table (what autovacuum does before the next day).

Prints time (of the work itself, timed inside the child: no interpreter or Django start-up, no
clearing of the table), units/s, peak memory of the whole child, and each import's ratio to the
parse-only time.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)
FORMS = [
    ("AS", "Aksjeselskap"),
    ("ENK", "Enkeltpersonforetak"),
    ("NUF", "Norskregistrert utenlandsk foretak"),
    ("ANS", "Ansvarlig selskap"),
]
NACE = [
    ("41.200", "Oppføring av bygninger"),
    ("43.220", "VVS-arbeid"),
    ("81.210", "Rengjøring av bygninger"),
    ("78.200", "Utleie av arbeidskraft"),
    ("62.010", "Programmeringstjenester"),
]
PLACES = [
    ("0150", "OSLO", "OSLO", "0301"),
    ("5003", "BERGEN", "BERGEN", "4601"),
    ("7010", "TRONDHEIM", "TRONDHEIM", "5001"),
    ("9008", "TROMSØ", "TROMSØ", "5501"),
]


def orgnrs():
    n = 0
    while True:
        body = f"9{n % 10**7:07d}" if n < 10**7 else f"8{n % 10**7:07d}"
        n += 1
        r = 11 - sum(w * int(d) for w, d in zip(WEIGHTS, body, strict=True)) % 11
        check = 0 if r == 11 else r
        if check != 10:
            yield body + str(check)


def unit(orgnr: str, rng: random.Random) -> dict:
    form, form_text = rng.choice(FORMS)
    nace, nace_text = rng.choice(NACE)
    postcode, town, municipality, mno = rng.choice(PLACES)
    address = {
        "land": "Norge",
        "landkode": "NO",
        "postnummer": postcode,
        "poststed": town,
        "adresse": [f"Storgata {rng.randint(1, 200)}"],
        "kommune": municipality,
        "kommunenummer": mno,
    }
    data = {
        "organisasjonsnummer": orgnr,
        "navn": f"{rng.choice(['BYGG', 'RENHOLD', 'ANLEGG', 'VVS', 'ELEKTRO'])} {orgnr[3:]} {form}",
        "organisasjonsform": {
            "kode": form,
            "beskrivelse": form_text,
            "_links": {
                "self": {
                    "href": f"https://data.brreg.no/enhetsregisteret/api/organisasjonsformer/{form}"
                }
            },
        },
        "registreringsdatoEnhetsregisteret": f"{rng.randint(1995, 2025)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
        "registrertIMvaregisteret": rng.random() < 0.6,
        "naeringskode1": {"beskrivelse": nace_text, "kode": nace},
        "antallAnsatte": rng.randint(0, 50),
        "harRegistrertAntallAnsatte": True,
        "forretningsadresse": address,
        "institusjonellSektorkode": {"kode": "2100", "beskrivelse": "Private aksjeselskaper mv."},
        "registrertIForetaksregisteret": form != "ENK",
        "registrertIStiftelsesregisteret": False,
        "registrertIFrivillighetsregisteret": False,
        "konkurs": rng.random() < 0.01,
        "underAvvikling": rng.random() < 0.01,
        "underTvangsavviklingEllerTvangsopplosning": rng.random() < 0.005,
        "maalform": "Bokmål",
        "_links": {"self": {"href": f"https://data.brreg.no/enhetsregisteret/api/enheter/{orgnr}"}},
    }
    if rng.random() < 0.3:
        data["postadresse"] = dict(address, adresse=[f"Postboks {rng.randint(1, 9999)}"])
    if rng.random() < 0.5:
        data["stiftelsesdato"] = "2015-02-20"
        data["sisteInnsendteAarsregnskap"] = "2024"
    if rng.random() < 0.01:
        data["slettedato"] = "2025-06-30"
    return data


def generate(path: Path, count: int) -> None:
    rng = random.Random(1100)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=6) as fh:
        fh.write("[")
        for i, orgnr in zip(range(count), orgnrs(), strict=False):
            if i:
                fh.write(",")
            fh.write(json.dumps(unit(orgnr, rng), ensure_ascii=False))
        fh.write("]")
    tmp.rename(path)


# --- phases, each run in a child process -----------------------------------------------------


def phase_parse(path: Path) -> None:
    import ijson

    assert ijson.backend == "yajl2_c", ijson.backend
    count = 0
    started = time.perf_counter()
    with gzip.open(path, "rb") as fh:
        for _unit in ijson.items(fh, "item", use_float=True):
            count += 1
    print(json.dumps({"units": count, "work_seconds": time.perf_counter() - started}))


def phase_import(path: Path, fresh: bool) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hmskort.settings")
    import django

    django.setup()
    from django.db import connection

    from hmskort.registries import brreg
    from hmskort.registries.models import BrregUnit, FeedCursor

    if fresh:
        BrregUnit.objects.all().delete()
        FeedCursor.objects.all().delete()
    elif connection.vendor == "postgresql":
        # The daily re-import meets a table autovacuum has long since settled; right after the
        # first import it would pay for hint bits and a concurrent autovacuum instead. Untimed.
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {BrregUnit._meta.db_table}")
    started = time.perf_counter()
    run = brreg.import_bulk(path, force=True)
    elapsed = time.perf_counter() - started
    result = {"units": run.records_read, "changed": run.records_changed, "status": run.status}
    print(json.dumps({**result, "work_seconds": elapsed}))


def measure(label: str, args: list[str]) -> dict:
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, cwd=ROOT, env=os.environ.copy()
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    out = proc.stdout.read().decode()
    if status != 0:
        raise SystemExit(f"{label} failed ({status}): {out}")
    result = json.loads(out.strip().splitlines()[-1])
    result.update(label=label, seconds=elapsed, peak_mb=usage.ru_maxrss / 1024)
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--units", type=int, default=1_100_000)
    parser.add_argument("--file", type=Path)
    parser.add_argument("--phase", choices=["parse", "import-fresh", "import-again"])
    parser.add_argument("--repeat", type=int, default=1, help="rounds; each phase's best counts")
    args = parser.parse_args()
    path = args.file or ROOT / "var" / "bench" / f"enheter_{args.units}.json.gz"

    if args.phase == "parse":
        return phase_parse(path)
    if args.phase:
        return phase_import(path, fresh=args.phase == "import-fresh")

    if not os.environ.get("DATABASE_URL"):
        print("note: DATABASE_URL is not set; importing into the embedded SQLite database")
    if not path.exists():
        t = time.perf_counter()
        generate(path, args.units)
        print(
            f"generated {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.0f} s"
        )
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "hmskort"), "migrate", "--noinput", "-v", "0"],
        check=True,
        cwd=ROOT,
    )

    phases = [
        ("parse only (baseline)", "parse"),
        ("import, empty table", "import-fresh"),
        ("import again, no change", "import-again"),
    ]
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    best: dict[str, dict] = {}
    for _round in range(args.repeat):  # these machines are shared: keep each phase's best time
        for label, phase in phases:
            result = measure(label, ["--phase", phase, "--file", str(path)])
            if label not in best or result["work_seconds"] < best[label]["work_seconds"]:
                best[label] = result
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    results = [best[label] for label, _ in phases]
    base = results[0]["work_seconds"]
    print(
        f"\n{'phase':<26} {'units':>10} {'seconds':>8} {'units/s':>9} {'peak MB':>8} {'x parse':>8}"
    )
    for r in results:
        print(
            f"{r['label']:<26} {r['units']:>10,} {r['work_seconds']:>8.1f}"
            f" {r['units'] / r['work_seconds']:>9,.0f} {r['peak_mb']:>8.0f}"
            f" {r['work_seconds'] / base:>8.2f}"
        )


if __name__ == "__main__":
    main()
