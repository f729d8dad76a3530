"""Register answers in their real shapes (Enhetsregisteret JSON, Renholdsregisteret XML …)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

API = "/enhetsregisteret/api"


def unit(orgnr: str, name: str = "Bygg og Anlegg AS", **overrides) -> dict:
    data = {
        "organisasjonsnummer": orgnr,
        "navn": name,
        "organisasjonsform": {
            "kode": "AS",
            "beskrivelse": "Aksjeselskap",
            "_links": {"self": {"href": f"https://data.brreg.no{API}/organisasjonsformer/AS"}},
        },
        "postadresse": {
            "land": "Norge",
            "landkode": "NO",
            "postnummer": "0150",
            "poststed": "OSLO",
            "adresse": ["Postboks 1"],
            "kommune": "OSLO",
            "kommunenummer": "0301",
        },
        "registreringsdatoEnhetsregisteret": "2015-03-02",
        "registrertIMvaregisteret": True,
        "naeringskode1": {"beskrivelse": "Oppføring av bygninger", "kode": "41.200"},
        "antallAnsatte": 14,
        "harRegistrertAntallAnsatte": True,
        "forretningsadresse": {
            "land": "Norge",
            "landkode": "NO",
            "postnummer": "0150",
            "poststed": "OSLO",
            "adresse": ["Storgata 1"],
            "kommune": "OSLO",
            "kommunenummer": "0301",
        },
        "stiftelsesdato": "2015-02-20",
        "institusjonellSektorkode": {"kode": "2100", "beskrivelse": "Private aksjeselskaper mv."},
        "registrertIForetaksregisteret": True,
        "registrertIStiftelsesregisteret": False,
        "registrertIFrivillighetsregisteret": False,
        "sisteInnsendteAarsregnskap": "2023",
        "konkurs": False,
        "underAvvikling": False,
        "underTvangsavviklingEllerTvangsopplosning": False,
        "maalform": "Bokmål",
        "aktivitet": ["Byggevirksomhet"],
        "_links": {"self": {"href": f"https://data.brreg.no{API}/enheter/{orgnr}"}},
    }
    data.update(overrides)
    return data


def sub_unit(orgnr: str, parent: str, name: str = "Bygg og Anlegg AS avd. Oslo", **overrides):
    data = unit(orgnr, name, **overrides)
    for key in (
        "registrertIMvaregisteret",
        "konkurs",
        "underAvvikling",
        "underTvangsavviklingEllerTvangsopplosning",
        "forretningsadresse",
    ):
        data.pop(key, None)
    data["organisasjonsform"] = {"kode": "BEDR", "beskrivelse": "Underenhet til næringsdrivende"}
    data["overordnetEnhet"] = parent
    data["beliggenhetsadresse"] = {"land": "Norge", "postnummer": "0150", "poststed": "OSLO"}
    data["_links"] = {"self": {"href": f"https://data.brreg.no{API}/underenheter/{orgnr}"}}
    return data


def feed_page(changes: list[tuple[int, str, str]], *, sub_units: bool = False, total=None):
    """`changes`: (oppdateringsid, organisasjonsnummer, endringstype)."""
    key = "oppdaterteUnderenheter" if sub_units else "oppdaterteEnheter"
    kind = "underenheter" if sub_units else "enheter"
    items = [
        {
            "oppdateringsid": uid,
            "dato": "2026-11-29T05:03:12.345Z",
            "organisasjonsnummer": orgnr,
            "endringstype": change,
            "_links": {"enhet": {"href": f"https://data.brreg.no{API}/{kind}/{orgnr}"}},
        }
        for uid, orgnr, change in changes
    ]
    body = {
        "_links": {"self": {"href": f"https://data.brreg.no{API}/oppdateringer/{kind}"}},
        "page": {
            "size": 1000,
            "totalElements": len(items) if total is None else total,
            "totalPages": 1 if items else 0,
            "number": 0,
        },
    }
    if items:
        body["_embedded"] = {key: items}
    return body


def write_bulk(path: Path, units: list[dict]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        json.dump(units, fh, ensure_ascii=False)
    return path


def renhold_xml(entries: list[tuple[str, str, str]]) -> bytes:
    """`entries`: (Organisasjonsnummer, Navn, Godkjenningsstatus)."""
    rows = "".join(
        "<Virksomhet>"
        f"<Organisasjonsnummer>{orgnr}</Organisasjonsnummer><Navn>{name}</Navn>"
        f"<Godkjenningsstatus>{status}</Godkjenningsstatus>"
        "<Postadresse><Poststed>OSLO</Poststed></Postadresse>"
        "</Virksomhet>"
        for orgnr, name, status in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f"<Renholdsregister><Dato>2026-11-29</Dato>{rows}</Renholdsregister>"
    ).encode()


def bemanning_json(entries: list[tuple[str, str, str]]) -> bytes:
    """`entries`: (organisasjonsnummer, navn, godkjenningsstatus)."""
    return json.dumps(
        {
            "sistOppdatert": "2026-11-29T04:00:00",
            "virksomheter": [
                {
                    "organisasjonsnummer": orgnr,
                    "navn": name,
                    "godkjenningsstatus": status,
                    "godkjentDato": "2024-03-01",
                }
                for orgnr, name, status in entries
            ],
        },
        ensure_ascii=False,
    ).encode()
