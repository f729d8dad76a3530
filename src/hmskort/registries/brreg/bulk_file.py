"""The bulk files `/enheter/lastned` and `/underenheter/lastned`: downloaded, streamed, imported.

The file is streamed (ijson, yajl2_c backend) and, on PostgreSQL, turned into COPY lines with no
dict between; only units whose facts digest differs from the stored one are staged.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Generator, Iterable
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import ijson
from django.conf import settings
from django.db import connection
from django.utils import timezone

from hmskort.http import RegisterError, download, make_client

from ..models import FeedCursor, RegistryRun
from ..services import fail_run, start_run
from .api import base_url
from .mapping import copy_tail, unit_copy_line, unit_row
from .staging import CopyLine, UnitRow, stage_and_conclude

GZIP_MAGIC = b"\x1f\x8b"
# Organisation forms only sub-units have (Enhetsregisteret: "BEDR" for a business's sub-unit,
# "AAFY" for other activity): the first unit of a file tells which kind the file holds.
SUB_UNIT_FORMS = frozenset({"BEDR", "AAFY"})
MEDIA_TYPES = {
    "enheter": "application/vnd.brreg.enhetsregisteret.enhet.v2+gzip",
    "underenheter": "application/vnd.brreg.enhetsregisteret.underenhet.v2+gzip",
}


def _open(path: Path) -> gzip.GzipFile | BinaryIO:
    """The file's bytes, un-gzipped when it is gzip (known by its content, not its name)."""
    with path.open("rb") as fh:
        magic = fh.read(2)
    return gzip.open(path, "rb") if magic == GZIP_MAGIC else path.open("rb")


def iter_bulk_units(path: str | Path) -> Generator[Any, None, None]:
    """Stream the units of a bulk file (gzip or plain JSON array) one at a time."""
    with _open(Path(path)) as fh:
        yield from ijson.items(fh, "item", use_float=True)


def holds_sub_units(path: Path) -> bool:
    """Whether a bulk file holds sub-units: by its name (any case), else by its first unit."""
    name = path.name.lower()
    if "underenhet" in name:
        return True
    if "enhet" in name:
        return False
    units = iter_bulk_units(path)
    try:
        first = next(units, None)
    except (ijson.JSONError, EOFError, OSError, ValueError):
        return False  # the import itself reports the broken file
    finally:
        units.close()
    form = first.get("organisasjonsform") if isinstance(first, dict) else None
    return isinstance(form, dict) and form.get("kode") in SUB_UNIT_FORMS


def import_bulk(
    path: str | Path,
    *,
    sub_units: bool | None = None,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
) -> RegistryRun:
    """Import a bulk file (`/enheter/lastned` or `/underenheter/lastned`), streamed."""
    path = Path(path)
    if sub_units is None:
        sub_units = holds_sub_units(path)
    run = start_run(RegistryRun.Source.BRREG_BULK, str(path))
    read_at = timezone.now()
    read_from = f"file:{path.name}"
    rows: Iterable[UnitRow] | Iterable[CopyLine]
    if connection.vendor == "postgresql":
        tail = copy_tail(read_at, read_from)
        rows = (
            unit_copy_line(data, sub_unit=sub_units, tail=tail) for data in iter_bulk_units(path)
        )
    else:
        rows = (
            unit_row(data, sub_unit=sub_units, read_at=read_at, read_from=read_from)
            for data in iter_bulk_units(path)
        )

    def start_feed_here() -> None:
        # A first bulk import is a snapshot: the change feed can start from its time.
        feed = "underenheter" if sub_units else "enheter"
        cursor, _ = FeedCursor.objects.get_or_create(feed=f"brreg:{feed}")
        if cursor.last_update_id is None and cursor.since is None:
            cursor.since = read_at
            cursor.save()

    return stage_and_conclude(
        run,
        rows,
        force=force,
        progress=progress,
        before_apply=start_feed_here,
        touch_unchanged=False,
        bulk_lines=connection.vendor == "postgresql",
    )


def sync_bulk(*, progress: Callable[[int], None] | None = None) -> list[RegistryRun]:
    """Download the bulk files (`/enheter/lastned`, `/underenheter/lastned`) and import them.

    Downloads stream to a file under VAR_DIR/registries (never held in memory); a download that
    fails is recorded as a failed run and changes nothing.
    """
    folder = Path(settings.VAR_DIR) / "registries"
    folder.mkdir(parents=True, exist_ok=True)
    timeout = float(getattr(settings, "HMSKORT_REGISTRY_TIMEOUT", 15.0))
    runs = []
    # The shared client, with its retries; a file of a few hundred MB may pause between chunks.
    with make_client(
        headers={"Accept": "*/*"}, timeout=timeout, read_timeout=max(timeout, 60.0)
    ) as client:
        for kind in ("enheter", "underenheter"):
            url = f"{base_url()}/{kind}/lastned"
            target = folder / f"{kind}_alle.json.gz"
            try:
                download(client, url, target, headers={"Accept": MEDIA_TYPES[kind]})
            except (httpx.HTTPError, RegisterError, OSError) as exc:
                run = start_run(RegistryRun.Source.BRREG_BULK, url)
                runs.append(fail_run(run, str(exc) or exc.__class__.__name__))
                continue
            runs.append(import_bulk(target, sub_units=kind == "underenheter", progress=progress))
    return runs
