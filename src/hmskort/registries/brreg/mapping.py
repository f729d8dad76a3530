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
    "organisation_form",
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


FORM_CODE_MAX = 40  # BrregUnit.organisation_form, Company.organisation_form


def unit_row(data: Any, *, sub_unit: bool, read_at: dt.datetime, read_from: str) -> dict[str, Any]:
    """Map one unit as Enhetsregisteret spells it to the columns of BrregUnit.

    Raises MalformedData (never another error) for a unit that cannot be stored as it is: no
    valid organisation number, an impossible `slettedato`, a main unit number that is not one,
    an organisation form code too long to store whole, a NUL character in a stored text.
    """
    if not isinstance(data, dict):
        raise MalformedData("a unit is not a JSON object")
    orgnr = str(data.get("organisasjonsnummer") or "")
    if len(orgnr) != 9 or not orgnr.isdigit():
        raise MalformedData(f"a unit has no valid organisasjonsnummer: {orgnr[:20]!r}")
    nace = data.get("naeringskode1") or {}
    address = (
        data.get("forretningsadresse")
        or data.get("beliggenhetsadresse")
        or data.get("postadresse")
        or {}
    )
    if not isinstance(address, dict):
        address = {}
    name = str(data.get("navn") or "")[:300]
    form = _form_code(data.get("organisasjonsform"), orgnr)
    parent = _parent_orgnr(data.get("overordnetEnhet"), orgnr)
    nace_code = str(nace.get("kode") or "")[:8] if isinstance(nace, dict) else ""
    _refuse_nul(orgnr, name, nace_code, encode_json(address))
    return {
        "orgnr": orgnr,
        "name": name,
        "organisation_form": form,
        "parent_orgnr": parent,
        "is_sub_unit": sub_unit,
        "registered_in_vat": bool(data.get("registrertIMvaregisteret", False)),
        "bankrupt": bool(data.get("konkurs", False)),
        "under_liquidation": bool(data.get("underAvvikling", False)),
        "under_forced_dissolution": bool(
            data.get("underTvangsavviklingEllerTvangsopplosning", False)
        ),
        "deleted_on": parse_deleted_on(data.get("slettedato"), orgnr),
        "removed": False,
        "nace_code": nace_code,
        "address": address,
        "read_at": read_at,
        "read_from": read_from[:300],
    }


def unit_copy_line(data: Any, *, sub_unit: bool, tail: str) -> tuple[str, str, str]:
    """`unit_row` and `copy_line` in one step, for the bulk file on PostgreSQL (no dict between).

    Returns (orgnr, digest of the facts, COPY line). Must give exactly the line
    `copy_line(unit_row(…))` gives, and refuse what it refuses; a test holds the two together.
    """
    if not isinstance(data, dict):
        raise MalformedData("a unit is not a JSON object")
    orgnr = data.get("organisasjonsnummer")
    if not isinstance(orgnr, str) or len(orgnr) != 9 or not orgnr.isdigit():
        row = unit_row(data, sub_unit=sub_unit, read_at=_EPOCH, read_from="")
        body = copy_body(row)
        digest = fact_digest(body)
        return row["orgnr"], digest, f"{body}\t{digest}\t{tail}"
    nace = data.get("naeringskode1")
    address = (
        data.get("forretningsadresse")
        or data.get("beliggenhetsadresse")
        or data.get("postadresse")
        or {}
    )
    deleted_on = parse_deleted_on(data.get("slettedato"), orgnr)
    deleted = deleted_on.isoformat() if deleted_on else "\\N"
    name = str(data.get("navn") or "")[:300]
    nace_code = str(nace.get("kode") or "")[:8] if isinstance(nace, dict) else ""
    address_json = encode_json(address if isinstance(address, dict) else {})
    _refuse_nul(orgnr, name, nace_code, address_json)
    body = "\t".join(
        (
            orgnr,
            copy_text(name),
            copy_text(_form_code(data.get("organisasjonsform"), orgnr)),
            _parent_orgnr(data.get("overordnetEnhet"), orgnr),
            "t" if sub_unit else "f",
            "t" if data.get("registrertIMvaregisteret") else "f",
            "t" if data.get("konkurs") else "f",
            "t" if data.get("underAvvikling") else "f",
            "t" if data.get("underTvangsavviklingEllerTvangsopplosning") else "f",
            deleted,
            "f",
            copy_text(nace_code),
            copy_text(address_json),
        )
    )
    digest = fact_digest(body)
    return orgnr, digest, f"{body}\t{digest}\t{tail}"


def parse_deleted_on(value: Any, orgnr: str) -> dt.date | None:
    """`slettedato` as a date; MalformedData for anything but an absent value or a real date."""
    if not value:
        return None
    try:
        date = parse_date(value) if isinstance(value, str) else None
    except ValueError:  # well-formed but impossible, e.g. 2024-02-30
        date = None
    if date is None:
        raise MalformedData(f"unit {orgnr} has a malformed slettedato: {str(value)[:20]!r}")
    return date


def _form_code(form: Any, orgnr: str) -> str:
    code = str(form.get("kode") or "") if isinstance(form, dict) else ""
    if len(code) > FORM_CODE_MAX or "\x00" in code:
        raise MalformedData(f"unit {orgnr} has a malformed organisasjonsform.kode")
    return code


def _parent_orgnr(value: Any, orgnr: str) -> str:
    parent = str(value or "")
    if parent and (len(parent) != 9 or not parent.isdigit()):
        raise MalformedData(f"unit {orgnr} has a malformed overordnetEnhet: {parent[:20]!r}")
    return parent


def _refuse_nul(orgnr: str, name: str, nace_code: str, address_json: str) -> None:
    """A NUL character cannot be stored (PostgreSQL refuses it in text and JSON): refuse it here,
    with the unit's number, instead of failing deep in the database."""
    if "\x00" in name or "\x00" in nace_code:
        raise MalformedData(f"unit {orgnr} has a NUL character in its name or NACE code")
    # JSON spells a NUL \u0000 (a text that merely reads "\u0000" is spelt \\u0000).
    if "\\u0000" in address_json and _has_nul(json.loads(address_json)):
        raise MalformedData(f"unit {orgnr} has a NUL character in its address")


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def removed_row(
    orgnr: str,
    *,
    sub_unit: bool,
    read_at: dt.datetime,
    read_from: str,
    deleted_on: dt.date | None = None,
) -> dict[str, Any]:
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


def copy_line(row: dict[str, Any], tail: str) -> str:
    """One row in COPY's text format (faster than adapting each value in psycopg)."""
    body = copy_body(row)
    return f"{body}\t{fact_digest(body)}\t{tail}"


def fact_digest(body: str) -> str:
    return hashlib.blake2b(body.encode(), digest_size=16).hexdigest()


def copy_body(row: dict[str, Any]) -> str:
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
