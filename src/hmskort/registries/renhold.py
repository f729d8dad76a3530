"""Renholdsregisteret (Arbeidstilsynet): the daily XML file of cleaning companies.

`Virksomhet` records with `Organisasjonsnummer`, `Navn` and `Godkjenningsstatus`. Statuses are
mapped explicitly; an unknown status holds the run for review instead of being guessed.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from hmskort.http import MalformedData

from .models import CleaningApproval, RegistryRun
from .snapshot import FileRegister, Snapshot

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
    records: dict[str, dict[str, Any]] = {}
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


def is_approved(fields: dict[str, Any]) -> bool:
    return fields.get("status") in CleaningApproval.APPROVED_STATUSES


ABSENT = {"status": Status.NOT_REGISTERED}


REGISTER = FileRegister(
    source=RegistryRun.Source.RENHOLD,
    url_setting="HMSKORT_RENHOLD_URL",
    parse=parse,
    model=CleaningApproval,
    is_approved=is_approved,
    absent=ABSENT,
)


def sync(*, path: str | Path | None = None, force: bool = False) -> RegistryRun:
    """Read the file (from HMSKORT_RENHOLD_URL, or a path) and apply or hold its facts."""
    return REGISTER.sync(path=path, force=force)


def apply_held(run: RegistryRun) -> None:
    REGISTER.apply_held(run)
