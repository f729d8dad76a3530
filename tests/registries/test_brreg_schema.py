"""Units generated from Enhetsregisteret's published schema (absent and null optional fields
included) go through the per-unit and the bulk mapping alike, and the status flags come out
as the register states them; a unit that cannot be stored is refused with MalformedData only.

The schema below is the published one's `Enhet` and `Underenhet` (current field names), cut
to the fields that carry facts plus a few that do not; every optional field may be absent or
null, as the register sends them.
"""

from __future__ import annotations

import datetime as dt
import string
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hmskort.http import MalformedData
from hmskort.registries import brreg

TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from("\t\n\r\\\"'\x00"),
    ),
    max_size=30,
)
DATE = st.one_of(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)).map(dt.date.isoformat),
    st.sampled_from(["2024-02-30", "2023-13-01", "not a date", ""]),
)
ORGNR = st.text(alphabet=string.digits, min_size=9, max_size=9)
ADDRESS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "land": {"type": "string"},
        "landkode": {"type": "string"},
        "postnummer": {"type": "string"},
        "poststed": {"type": "string"},
        "adresse": {"type": "array", "items": {"type": "string"}},
        "kommune": {"type": "string"},
        "kommunenummer": {"type": "string"},
    },
}
CODE: dict[str, Any] = {
    "type": "object",
    "properties": {"kode": {"type": "string"}, "beskrivelse": {"type": "string"}},
}
ENHET: dict[str, Any] = {
    "type": "object",
    "required": ["organisasjonsnummer"],
    "properties": {
        "organisasjonsnummer": {"type": "string", "format": "orgnr"},
        "navn": {"type": "string"},
        "organisasjonsform": CODE,
        "postadresse": ADDRESS,
        "forretningsadresse": ADDRESS,
        "registreringsdatoEnhetsregisteret": {"type": "string", "format": "date"},
        "registrertIMvaregisteret": {"type": "boolean"},
        "naeringskode1": CODE,
        "antallAnsatte": {"type": "integer"},
        "overordnetEnhet": {"type": "string", "format": "orgnr"},
        "konkurs": {"type": "boolean"},
        "konkursdato": {"type": "string", "format": "date"},
        "underAvvikling": {"type": "boolean"},
        "underAvviklingDato": {"type": "string", "format": "date"},
        "underTvangsavviklingEllerTvangsopplosning": {"type": "boolean"},
        "slettedato": {"type": "string", "format": "date"},
        "maalform": {"type": "string"},
    },
}
UNDERENHET: dict[str, Any] = {
    "type": "object",
    "required": ["organisasjonsnummer"],
    "properties": {
        "organisasjonsnummer": {"type": "string", "format": "orgnr"},
        "navn": {"type": "string"},
        "organisasjonsform": CODE,
        "postadresse": ADDRESS,
        "beliggenhetsadresse": ADDRESS,
        "registreringsdatoEnhetsregisteret": {"type": "string", "format": "date"},
        "registrertIMvaregisteret": {"type": "boolean"},
        "naeringskode1": CODE,
        "antallAnsatte": {"type": "integer"},
        "overordnetEnhet": {"type": "string", "format": "orgnr"},
        "oppstartsdato": {"type": "string", "format": "date"},
        "nedleggelsesdato": {"type": "string", "format": "date"},
        "slettedato": {"type": "string", "format": "date"},
    },
}


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy:
    """The small part of JSON Schema the two schemas above use."""
    kind = schema["type"]
    if kind == "string":
        return {"date": DATE, "orgnr": ORGNR}.get(schema.get("format", ""), TEXT)
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(min_value=0, max_value=10**6)
    if kind == "array":
        return st.lists(from_schema(schema["items"]), max_size=3)
    required = set(schema.get("required", ()))
    fields = {
        name: from_schema(sub) if name in required else st.none() | from_schema(sub)
        for name, sub in schema["properties"].items()
    }
    return st.fixed_dictionaries(
        {k: v for k, v in fields.items() if k in required},
        optional={k: v for k, v in fields.items() if k not in required},
    )


def refusal(data: dict) -> bool:
    """Whether a unit cannot be stored as it is (what the mapping must refuse)."""
    deleted = data.get("slettedato")
    if deleted:
        try:
            dt.date.fromisoformat(deleted)
        except ValueError:
            return True
    form = (data.get("organisasjonsform") or {}).get("kode") or ""
    if len(form) > brreg.mapping.FORM_CODE_MAX or "\x00" in form:
        return True
    nace = ((data.get("naeringskode1") or {}).get("kode") or "")[:8]
    address = (
        data.get("forretningsadresse")
        or data.get("beliggenhetsadresse")
        or data.get("postadresse")
        or {}
    )
    return any(has_nul(text) for text in ((data.get("navn") or "")[:300], nace, address))


def has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def check(data: dict, *, sub_unit: bool) -> None:
    read_at = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)
    tail = brreg.copy_tail(read_at, "file:enheter.json.gz")
    try:
        row = brreg.unit_row(data, sub_unit=sub_unit, read_at=read_at, read_from="file:x")
    except MalformedData:
        row = None
    try:
        fast = brreg.unit_copy_line(data, sub_unit=sub_unit, tail=tail)
    except MalformedData:
        fast = None
    assert (row is None) == refusal(data) == (fast is None), data
    if row is None:
        return
    # Both mappings give the same facts (the bulk line is the per-unit row in COPY form).
    assert fast[2] == brreg.copy_line(row, tail)
    assert row["orgnr"] == data["organisasjonsnummer"]
    assert row["is_sub_unit"] is sub_unit
    assert row["registered_in_vat"] is bool(data.get("registrertIMvaregisteret"))
    assert row["bankrupt"] is bool(data.get("konkurs"))
    assert row["under_liquidation"] is bool(data.get("underAvvikling"))
    assert row["under_forced_dissolution"] is bool(
        data.get("underTvangsavviklingEllerTvangsopplosning")
    )
    deleted = data.get("slettedato")
    assert row["deleted_on"] == (dt.date.fromisoformat(deleted) if deleted else None)
    assert row["removed"] is False
    assert row["organisation_form"] == ((data.get("organisasjonsform") or {}).get("kode") or "")
    assert row["parent_orgnr"] == (data.get("overordnetEnhet") or "")


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(from_schema(ENHET))
def test_units_from_the_published_schema_map_alike_per_unit_and_in_bulk(data):
    check(data, sub_unit=False)


@FAST
@given(from_schema(UNDERENHET))
def test_sub_units_from_the_published_schema_map_alike_per_unit_and_in_bulk(data):
    check(data, sub_unit=True)
