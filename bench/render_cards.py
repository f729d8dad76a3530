"""Card rendering: a production batch of N cards in one PDF against one card rendered N times.

    .venv/bin/python bench/render_cards.py --cards 1000

Each phase runs in its own child process, so its peak memory (ru_maxrss) is its own:

1. batch: `render_faces_pdf` of N card faces (front and back each, 2N pages) in one document;
2. loop (the baseline): `render_faces_pdf` of one face, N times (a PDF per card).

Faces are built in memory (names with æøå and ł, a 300 x 400 JPEG photo each, distinct QR URLs),
so the figures are the rendering's own, without the database. Prints time, cards/s, the output
size and peak memory of each phase, and the batch's ratio to the loop.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _faces(n: int):
    import datetime as dt
    import io

    from PIL import Image

    from hmskort.cards.rendering import CardFace

    photo = io.BytesIO()
    Image.new("RGB", (300, 400), (180, 160, 140)).save(photo, format="JPEG", quality=85)
    jpeg = photo.getvalue()
    for i in range(n):
        yield CardFace(
            number=f"{100000000000 + i * 7919:012d}"[:12],
            holder_name=f"Bjørn Ærlig Øvrebø-Łukasiewicz {i}",
            birth_date=dt.date(1980 + i % 20, 1 + i % 12, 1 + i % 28),
            employer_name=f"Demo Bygg og Anlegg Østlandet {i % 50} AS",
            employer_orgnr="310000001",
            card_type_nb="HMS-kort for bygg og anlegg",
            card_type_en="HSE card for building and construction",
            regulation="FOR-2007-03-30-366",
            colour="#1E4B8C",
            issued_on=dt.date(2026, 12, 1),
            expires_on=dt.date(2028, 12, 1),
            issuer="hmskort",
            url=f"https://hmskort.example.no/sjekk/{i:043d}/",
            photo=jpeg,
        )


def child(phase: str, n: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hmskort.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from hmskort.cards.rendering import render_faces_pdf

    faces = list(_faces(n))
    render_faces_pdf(faces[:1])  # fonts parsed once, as in a long-running worker
    start = time.perf_counter()
    if phase == "batch":
        size = len(render_faces_pdf(faces))
    else:
        size = sum(len(render_faces_pdf([face])) for face in faces)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "bytes": size, "peak_mb": peak_mb}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--child", choices=["batch", "loop"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.cards)
        return
    print(f"load average: {os.getloadavg()[0]:.2f}; cards: {args.cards}")
    results = {}
    for phase in ("loop", "batch"):
        out = (
            subprocess.run(
                [sys.executable, __file__, "--cards", str(args.cards), "--child", phase],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        results[phase] = r = json.loads(out)
        print(
            f"{phase:5}  {r['seconds']:8.2f} s  {args.cards / r['seconds']:7.1f} cards/s  "
            f"{r['bytes'] / 1e6:7.2f} MB out  peak {r['peak_mb']:7.1f} MB"
        )
    ratio = results["batch"]["seconds"] / results["loop"]["seconds"]
    print(f"batch / loop time: {ratio:.2f}")


if __name__ == "__main__":
    main()
