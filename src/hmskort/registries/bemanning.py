"""Bemanningsforetaksregisteret (Arbeidstilsynet): approved staffing agencies, a JSON file.

The mapping of statuses is explicit and tolerant of spelling (dashes, case, spaces); a status it
does not know holds the run for review. Only main units are approved.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from hmskort.http import MalformedData

from .models import RegistryRun, StaffingApproval
from .services import NOT_REGISTERED_STAFFING
from .snapshot import FileRegister, Snapshot

APPROVED = {"godkjent", "lovlig - godkjent", "lovlig godkjent", "registrert - godkjent"}
NOT_APPROVED = {
    "ikke godkjent",
    "avslått",
    "avslag",
    "tilbakekalt",
    "trukket tilbake",
    "avregistrert",
    "slettet",
    "utløpt",
    "ikke fornyet",
    "under behandling",
    "søknad under behandling",
    "soknad under behandling",
    "registrert - ikke godkjent",
    "ulovlig",
}
ORGNR_KEYS = ("organisasjonsnummer", "orgnr", "organisasjonsnr", "orgnummer")
STATUS_KEYS = ("godkjenningsstatus", "status", "registerstatus")
NAME_KEYS = ("navn", "name", "virksomhet", "foretaksnavn")
LIST_KEYS = ("virksomheter", "bemanningsforetak", "foretak", "data", "items", "enheter")


def normalise_status(text: str) -> str:
    text = (text or "").strip().lower()
    text = re.sub(r"[\u2010-\u2015-]+", " - ", text)
    return re.sub(r"\s+", " ", text).strip()


def map_status(text: str) -> bool | None:
    key = normalise_status(text)
    if key in APPROVED:
        return True
    if key in NOT_APPROVED:
        return False
    return None


def _pick(item: dict[str, Any], keys: tuple[str, ...]) -> Any:
    lowered = {str(k).lower(): v for k, v in item.items()}
    for key in keys:
        if key in lowered and lowered[key] not in (None, ""):
            return lowered[key]
    return None


def _items(data: Any) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key, value in data.items():
            if str(key).lower() in LIST_KEYS and isinstance(value, list):
                return value
        embedded = data.get("_embedded")
        if isinstance(embedded, dict):
            for value in embedded.values():
                if isinstance(value, list):
                    return value
    raise MalformedData("the staffing register file holds no list of companies")


def parse(data: bytes, read_from: str) -> Snapshot:
    try:
        document = json.loads(data)
    except ValueError:
        raise MalformedData(f"{read_from} is not valid JSON") from None
    except RecursionError:
        raise MalformedData(f"{read_from}: the JSON is nested too deeply") from None
    records: dict[str, dict[str, Any]] = {}
    unknown: dict[str, str] = {}
    for item in _items(document):
        if not isinstance(item, dict):
            raise MalformedData(f"{read_from}: an entry is not a JSON object")
        orgnr = re.sub(r"\s", "", str(_pick(item, ORGNR_KEYS) or ""))
        if len(orgnr) != 9 or not orgnr.isdigit():
            raise MalformedData(f"{read_from}: an entry has no valid organisation number")
        status = _pick(item, STATUS_KEYS)
        if isinstance(status, dict):  # {"kode": …, "beskrivelse": …}
            status = status.get("beskrivelse") or status.get("tekst") or status.get("kode")
        status = str(status or "")
        approved = map_status(status)
        if approved is None:
            unknown[orgnr] = status[:60]
            continue
        records[orgnr] = {
            "name": str(_pick(item, NAME_KEYS) or "")[:300],
            "status": status.strip()[:60],
            "approved": approved,
        }
    return Snapshot(records=records, unknown=unknown, read_from=read_from)


def is_approved(fields: dict[str, Any]) -> bool:
    return bool(fields.get("approved"))


ABSENT = {"status": NOT_REGISTERED_STAFFING, "approved": False}


REGISTER = FileRegister(
    source=RegistryRun.Source.BEMANNING,
    url_setting="HMSKORT_BEMANNING_URL",
    parse=parse,
    model=StaffingApproval,
    is_approved=is_approved,
    absent=ABSENT,
)


def sync(*, path: str | Path | None = None, force: bool = False) -> RegistryRun:
    """Read the file (from HMSKORT_BEMANNING_URL, or a path) and apply or hold its facts."""
    return REGISTER.sync(path=path, force=force)


def apply_held(run: RegistryRun) -> None:
    REGISTER.apply_held(run)
