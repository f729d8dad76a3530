"""Enhetsregisteret's units mapped to BrregUnit's columns, and the COPY text format of a row.

`unit_row` maps one unit as the register spells it (the per-unit API and the bulk file give the
same shape); `unit_copy_line` does the same straight into a COPY line for the bulk file on
PostgreSQL. A digest of the facts (`fact_digest`) lets a re-import skip units that did not change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.utils.dateparse import parse_date

from hmskort.http import MalformedData

from ..models import BrregUnit

FACT_FIELDS = (
    "name",
    "organisation_form",
    "parent_orgnr",
    "is_sub_unit",
    "registered_in_vat",
    "bankrupt",
    "under_liquidation",
    "under_forced_dissolution",
    "deleted_on",
    "removed",
    "nace_code",
    "address",
)
# Fields the validity rules read (directly or through Company flags), and the name a card shows.
RULE_FIELDS = (
    "name",
    "parent_orgnr",
    "registered_in_vat",
    "bankrupt",
    "under_liquidation",
    "under_forced_dissolution",
    "deleted_on",
    "removed",
    "nace_code",
)
COLUMNS = ("orgnr", *FACT_FIELDS, "fact_hash", "read_at", "read_from")


def unit_row(data: Any, *, sub_unit: bool, read_at: dt.datetime, read_from: str) -> dict:
    """Map one unit as Enhetsregisteret spells it to the columns of BrregUnit."""
    if not isinstance(data, dict):
        raise MalformedData("a unit is not a JSON object")
    orgnr = str(data.get("organisasjonsnummer") or "")
    if len(orgnr) != 9 or not orgnr.isdigit():
        raise MalformedData(f"a unit has no valid organisasjonsnummer: {orgnr[:20]!r}")
    form = data.get("organisasjonsform") or {}
    nace = data.get("naeringskode1") or {}
    address = (
        data.get("forretningsadresse")
        or data.get("beliggenhetsadresse")
        or data.get("postadresse")
        or {}
    )
    deleted = data.get("slettedato")
    deleted_on = parse_date(deleted) if isinstance(deleted, str) and deleted else None
    if deleted and deleted_on is None:
        raise MalformedData(f"unit {orgnr} has a malformed slettedato")
    return {
        "orgnr": orgnr,
        "name": str(data.get("navn") or "")[:300],
        "organisation_form": str(form.get("kode") or "")[:8] if isinstance(form, dict) else "",
        "parent_orgnr": str(data.get("overordnetEnhet") or "")[:9],
        "is_sub_unit": sub_unit,
        "registered_in_vat": bool(data.get("registrertIMvaregisteret", False)),
        "bankrupt": bool(data.get("konkurs", False)),
        "under_liquidation": bool(data.get("underAvvikling", False)),
        "under_forced_dissolution": bool(
            data.get("underTvangsavviklingEllerTvangsopplosning", False)
        ),
        "deleted_on": deleted_on,
        "removed": False,
        "nace_code": str(nace.get("kode") or "")[:8] if isinstance(nace, dict) else "",
        "address": address if isinstance(address, dict) else {},
        "read_at": read_at,
        "read_from": read_from[:300],
    }


def unit_copy_line(data: Any, *, sub_unit: bool, tail: str) -> tuple[str, str, str]:
    """`unit_row` and `copy_line` in one step, for the bulk file on PostgreSQL (no dict between).

    Returns (orgnr, digest of the facts, COPY line). Must give exactly the line
    `copy_line(unit_row(…))` gives; a test holds the two together.
    """
    if not isinstance(data, dict):
        raise MalformedData("a unit is not a JSON object")
    orgnr = data.get("organisasjonsnummer")
    if not isinstance(orgnr, str) or len(orgnr) != 9 or not orgnr.isdigit():
        row = unit_row(data, sub_unit=sub_unit, read_at=_EPOCH, read_from="")
        body = copy_body(row)
        digest = fact_digest(body)
        return row["orgnr"], digest, f"{body}\t{digest}\t{tail}"
    form = data.get("organisasjonsform")
    nace = data.get("naeringskode1")
    address = (
        data.get("forretningsadresse")
        or data.get("beliggenhetsadresse")
        or data.get("postadresse")
        or {}
    )
    deleted = data.get("slettedato")
    if deleted:
        deleted_on = parse_date(deleted) if isinstance(deleted, str) else None
        if deleted_on is None:
            raise MalformedData(f"unit {orgnr} has a malformed slettedato")
        deleted = deleted_on.isoformat()
    else:
        deleted = "\\N"
    name = data.get("navn") or ""
    body = "\t".join(
        (
            orgnr,
            copy_text(str(name)[:300]),
            copy_text(str(form.get("kode") or "")[:8]) if isinstance(form, dict) else "",
            copy_text(str(data.get("overordnetEnhet") or "")[:9]),
            "t" if sub_unit else "f",
            "t" if data.get("registrertIMvaregisteret") else "f",
            "t" if data.get("konkurs") else "f",
            "t" if data.get("underAvvikling") else "f",
            "t" if data.get("underTvangsavviklingEllerTvangsopplosning") else "f",
            deleted,
            "f",
            copy_text(str(nace.get("kode") or "")[:8]) if isinstance(nace, dict) else "",
            copy_text(encode_json(address if isinstance(address, dict) else {})),
        )
    )
    digest = fact_digest(body)
    return orgnr, digest, f"{body}\t{digest}\t{tail}"


def removed_row(
    orgnr: str,
    *,
    sub_unit: bool,
    read_at: dt.datetime,
    read_from: str,
    deleted_on: dt.date | None = None,
) -> dict:
    """The unit is gone from the register (404/410, "Fjernet"): keep what we knew, mark it."""
    existing = BrregUnit.objects.filter(orgnr=orgnr).values(*FACT_FIELDS).first()
    row = existing or {
        "name": "",
        "organisation_form": "",
        "parent_orgnr": "",
        "is_sub_unit": sub_unit,
        "registered_in_vat": False,
        "bankrupt": False,
        "under_liquidation": False,
        "under_forced_dissolution": False,
        "deleted_on": None,
        "nace_code": "",
        "address": {},
    }
    row.update(orgnr=orgnr, removed=True, read_at=read_at, read_from=read_from[:300])
    if deleted_on and not row.get("deleted_on"):
        row["deleted_on"] = deleted_on
    return row


# --- The COPY text format -------------------------------------------------------------------


encode_json = json.JSONEncoder(ensure_ascii=False).encode


def copy_text(value: str) -> str:
    """Escape a value for COPY's text format (most values need nothing: check before replacing)."""
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def copy_line(row: dict, tail: str) -> str:
    """One row in COPY's text format (faster than adapting each value in psycopg)."""
    body = copy_body(row)
    return f"{body}\t{fact_digest(body)}\t{tail}"


def fact_digest(body: str) -> str:
    return hashlib.blake2b(body.encode(), digest_size=16).hexdigest()


def copy_body(row: dict) -> str:
    """The facts of a row (orgnr … address) in COPY's text format: what the digest covers."""
    deleted = row["deleted_on"]
    return "\t".join(
        (
            row["orgnr"],
            copy_text(row["name"]),
            copy_text(row["organisation_form"]),
            copy_text(row["parent_orgnr"]),
            "t" if row["is_sub_unit"] else "f",
            "t" if row["registered_in_vat"] else "f",
            "t" if row["bankrupt"] else "f",
            "t" if row["under_liquidation"] else "f",
            "t" if row["under_forced_dissolution"] else "f",
            deleted.isoformat() if deleted else "\\N",
            "t" if row["removed"] else "f",
            copy_text(row["nace_code"]),
            copy_text(encode_json(row["address"])),
        )
    )


def copy_tail(read_at: dt.datetime, read_from: str) -> str:
    return read_at.isoformat() + "\t" + copy_text(read_from[:300])


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
