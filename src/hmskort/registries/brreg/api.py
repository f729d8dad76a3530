"""The per-unit API: one unit, a sub-unit, a unit's open roles; look-ups of named units now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import httpx
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_date

from hmskort.http import MalformedData, RegisterError, make_client, parse_json, request

from ..models import RegistryRun
from ..services import fail_run, start_run
from .mapping import removed_row, unit_row
from .staging import stage_and_conclude


def base_url() -> str:
    return settings.HMSKORT_BRREG_URL.rstrip("/")


def fetch_unit(
    client: httpx.Client, orgnr: str, *, sub_unit: bool = False, read_at: dt.datetime | None = None
) -> dict:
    """One unit's facts. 404/410 give a removed unit; errors raise RegisterError."""
    read_at = read_at or timezone.now()
    url = f"{base_url()}/{'underenheter' if sub_unit else 'enheter'}/{orgnr}"
    response = request(client, url, accept_statuses=(404, 410))
    if response.status_code in (404, 410):
        deleted_on = None
        if response.status_code == 410:
            try:
                body = response.json()
            except ValueError:
                body = {}
            if isinstance(body, dict) and isinstance(body.get("slettedato"), str):
                deleted_on = parse_date(body["slettedato"])
        return removed_row(
            orgnr, sub_unit=sub_unit, read_at=read_at, read_from=url, deleted_on=deleted_on
        )
    row = unit_row(parse_json(response, url), sub_unit=sub_unit, read_at=read_at, read_from=url)
    if row["orgnr"] != orgnr:
        raise MalformedData(f"{url} answered with unit {row['orgnr']}")
    return row


def fetch_roles(client: httpx.Client, orgnr: str) -> list[dict]:
    """The unit's roles, flattened: [{"code": "DAGL", "group": "DAGL", "birth_date": …, "name":…}].

    The open roles API gives birth dates, not national ID numbers: these can be shown and
    matched, but access is keyed on national ID numbers from an authorised source.
    """
    url = f"{base_url()}/enheter/{orgnr}/roller"
    response = request(client, url, accept_statuses=(404, 410))
    if response.status_code in (404, 410):
        return []
    data = parse_json(response, url)
    if not isinstance(data, dict) or not isinstance(data.get("rollegrupper", []), list):
        raise MalformedData(f"{url} answered without rollegrupper")
    roles = []
    for group in data.get("rollegrupper", []):
        group_code = ((group or {}).get("type") or {}).get("kode", "")
        for role in (group or {}).get("roller", []) or []:
            if role.get("fratraadt"):
                continue
            person = role.get("person") or {}
            if person.get("erDoed"):
                continue
            names = person.get("navn") or {}
            roles.append(
                {
                    "group": group_code,
                    "code": (role.get("type") or {}).get("kode", ""),
                    "birth_date": person.get("fodselsdato"),
                    "name": " ".join(
                        n for n in (names.get("fornavn"), names.get("etternavn")) if n
                    ),
                    "unit_orgnr": (role.get("enhet") or {}).get("organisasjonsnummer"),
                }
            )
    return roles


def lookup(orgnrs: Iterable[str], *, sub_units: bool = False) -> RegistryRun:
    """Read named units from the API now (a company seen for the first time, a staff check)."""
    orgnrs = sorted(set(orgnrs))
    run = start_run(RegistryRun.Source.BRREG_LOOKUP, f"{base_url()}/enheter")
    read_at = timezone.now()
    try:
        with make_client() as client:
            rows = [fetch_unit(client, o, sub_unit=sub_units, read_at=read_at) for o in orgnrs]
    except RegisterError as exc:
        return fail_run(run, str(exc))
    return stage_and_conclude(run, rows)
