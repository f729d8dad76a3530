"""Photo pipeline: time and peak memory for a 10 MB JPEG (accepted) and a decompression bomb
(refused), against the baseline of only decoding the same JPEG with Pillow (no checks, no
re-encoding). Each case runs in its own child process so its peak memory (ru_maxrss) is its own.

    .venv/bin/python bench/photo_pipeline.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess
import sys
import time

CASES = ("decode_only", "photo_10mb", "document_10mb", "bomb")


def _make_10mb_jpeg() -> bytes:
    """A noisy photo-sized JPEG just under 10 MB (noise does not compress)."""
    from PIL import Image

    side = 3000
    quality = 95
    while True:
        image = Image.frombytes("RGB", (side, side * 4 // 3), os.urandom(side * side * 4 // 3 * 3))
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=quality)
        data = out.getvalue()
        if data.__len__() < 10 * 1024 * 1024:
            if len(data) > 8 * 1024 * 1024:
                return data
            side = int(side * 1.1)
        else:
            side = int(side * 0.95)


def _make_bomb() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def child(case: str, path: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hmskort.settings")
    os.environ.setdefault("DEBUG", "1")
    django.setup()
    from PIL import Image

    from hmskort.people.images import ImageRefused, process_document, process_photo

    data = open(path, "rb").read()  # noqa: SIM115
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    outcome = "ok"
    try:
        if case == "decode_only":
            Image.MAX_IMAGE_PIXELS = None
            Image.open(io.BytesIO(data)).load()
        elif case == "photo_10mb":
            process_photo(data)
        elif case == "document_10mb":
            process_document(data)
        else:
            process_photo(data)
    except ImageRefused as refused:
        outcome = f"refused ({refused.code})"
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{elapsed:.4f} {peak - base} {peak} {outcome}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--make", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.make:
        # In a child of its own: the parent stays small, so the cases' peaks are their own
        # (a child starts with its parent's resident size as its high-water mark).
        with open(args.make[0], "wb") as f:
            f.write(_make_10mb_jpeg())
        with open(args.make[1], "wb") as f:
            f.write(_make_bomb())
        return
    import tempfile

    tmp = tempfile.mkdtemp()
    jpeg_path = os.path.join(tmp, "10mb.jpg")
    bomb_path = os.path.join(tmp, "bomb.png")
    subprocess.run([sys.executable, __file__, "--make", jpeg_path, bomb_path], check=True)
    print(
        f"10 MB JPEG: {os.path.getsize(jpeg_path) / 1024 / 1024:.1f} MiB; "
        f"bomb PNG: {os.path.getsize(bomb_path)} bytes claiming 20000 x 20000 pixels; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    results = {}
    for case in CASES:
        path = bomb_path if case == "bomb" else jpeg_path
        best = None
        for _ in range(args.repeat):
            out = subprocess.run(
                [sys.executable, __file__, "--child", case, path],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            elapsed, grown, peak, outcome = (
                float(out[0]),
                int(out[1]),
                int(out[2]),
                " ".join(out[3:]),
            )
            if best is None or elapsed < best[0]:
                best = (elapsed, grown, peak, outcome)
        results[case] = best
    baseline = results["decode_only"][0]
    print(f"{'case':<16}{'time s':>9}{'x decode':>10}{'peak MiB':>10}{'grown MiB':>11}  outcome")
    for case, (elapsed, grown, peak, outcome) in results.items():
        print(
            f"{case:<16}{elapsed:>9.3f}{elapsed / baseline:>10.2f}"
            f"{peak / 1024:>10.1f}{grown / 1024:>11.1f}  {outcome}"
        )


if __name__ == "__main__":
    main()
