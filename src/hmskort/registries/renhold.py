"""Renholdsregisteret (Arbeidstilsynet): the daily XML file of cleaning companies.

`Virksomhet` records with `Organisasjonsnummer`, `Navn` and `Godkjenningsstatus`. Statuses are
mapped explicitly; an unknown status holds the run for review instead of being guessed.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from xml.etree.ElementTree import ParseError

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from django.conf import settings

from .http import MalformedData, RegisterError
from .models import CleaningApproval, RegistryRun
from .services import fail_run, start_run
from .snapshot import Snapshot, conclude_snapshot
from .snapshot import apply_held as apply_snapshot_held

Status = CleaningApproval.Status

STATUS_MAP = {
    "godkjent med ansatte": Status.APPROVED_WITH_EMPLOYEES,
    "godkjent uten ansatte": Status.APPROVED_WITHOUT_EMPLOYEES,
    "søknad under behandling": Status.APPLICATION_PENDING,
    "soknad under behandling": Status.APPLICATION_PENDING,
    "hms-kortbestilling under behandling": Status.CARD_ORDER_PENDING,
    "hms-kort bestilling under behandling": Status.CARD_ORDER_PENDING,
    "hms kortbestilling under behandling": Status.CARD_ORDER_PENDING,
    "ikke godkjent": Status.NOT_APPROVED,
}


def map_status(text: str) -> str | None:
    key = re.sub(r"\s+", " ", (text or "").strip().lower())
    return STATUS_MAP.get(key)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse(data: bytes, read_from: str) -> Snapshot:
    records: dict[str, dict] = {}
    unknown: dict[str, str] = {}
    seen_root = False
    try:
        for _event, elem in SafeET.iterparse(io.BytesIO(data), events=("end",)):
            seen_root = True
            if _local(elem.tag) != "Virksomhet":
                continue
            fields = {_local(child.tag): (child.text or "").strip() for child in elem}
            elem.clear()
            orgnr = re.sub(r"\s", "", fields.get("Organisasjonsnummer", ""))
            if len(orgnr) != 9 or not orgnr.isdigit():
                raise MalformedData(
                    f"a Virksomhet has no valid Organisasjonsnummer: {orgnr[:20]!r}"
                )
            status = map_status(fields.get("Godkjenningsstatus", ""))
            if status is None:
                unknown[orgnr] = fields.get("Godkjenningsstatus", "")[:60]
                continue
            records[orgnr] = {"name": fields.get("Navn", "")[:300], "status": status}
    except (ParseError, DefusedXmlException) as exc:
        raise MalformedData(f"{read_from} is not well-formed XML: {exc}") from None
    if not seen_root:
        raise MalformedData(f"{read_from} is empty")
    return Snapshot(records=records, unknown=unknown, read_from=read_from)


def is_approved(fields: dict) -> bool:
    return fields.get("status") in CleaningApproval.APPROVED_STATUSES


ABSENT = {"status": Status.NOT_REGISTERED}


def sync(*, path: str | Path | None = None, force: bool = False) -> RegistryRun:
    """Read the file (from HMSKORT_RENHOLD_URL, or a path) and apply or hold its facts."""
    from .sources import read_bytes

    where = str(path) if path is not None else settings.HMSKORT_RENHOLD_URL
    run = start_run(RegistryRun.Source.RENHOLD, where)
    try:
        data, read_from = read_bytes(url=settings.HMSKORT_RENHOLD_URL, path=path)
        snapshot = parse(data, read_from)
    except RegisterError as exc:
        return fail_run(run, str(exc))
    return conclude_snapshot(
        run, snapshot, model=CleaningApproval, is_approved=is_approved, absent=ABSENT, force=force
    )


def apply_held(run: RegistryRun) -> None:
    apply_snapshot_held(run, model=CleaningApproval)
