"""The per-unit API: one unit, a sub-unit, a unit's open roles; look-ups of named units now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import httpx
from django.conf import settings
from django.utils import timezone

from hmskort.http import MalformedData, RegisterError, make_client, parse_json, request

from ..models import BrregUnit, RegistryRun
from ..services import fail_run, start_run
from .mapping import parse_deleted_on, removed_row, unit_row
from .staging import stage_and_conclude


def base_url() -> str:
    return settings.HMSKORT_BRREG_URL.rstrip("/")


# The major versions this adapter reads, pinned (Enhetsregisteret answers the latest version to a
# plain application/json, so a new major version would otherwise arrive unnoticed).
MEDIA_TYPES = {
    "enheter": "application/vnd.brreg.enhetsregisteret.enhet.v2+json",
    "underenheter": "application/vnd.brreg.enhetsregisteret.underenhet.v2+json",
}


def fetch_unit(
    client: httpx.Client, orgnr: str, *, sub_unit: bool = False, read_at: dt.datetime | None = None
) -> dict[str, Any]:
    """One unit's facts. 404/410 give a removed unit; errors raise RegisterError."""
    read_at = read_at or timezone.now()
    row = _fetch(client, orgnr, sub_unit=sub_unit, read_at=read_at)
    return row if row is not None else _removed(orgnr, sub_unit, read_at, None)


def _fetch(
    client: httpx.Client, orgnr: str, *, sub_unit: bool, read_at: dt.datetime
) -> dict[str, Any] | None:
    """The unit's row; a removed row for 410 (deleted); None for 404 (not a unit of this kind)."""
    kind = "underenheter" if sub_unit else "enheter"
    url = f"{base_url()}/{kind}/{orgnr}"
    response = request(
        client, url, accept_statuses=(404, 410), headers={"Accept": MEDIA_TYPES[kind]}
    )
    if response.status_code == 404:
        return None
    if response.status_code == 410:
        try:
            body = response.json()
        except ValueError:
            body = {}
        deleted = body.get("slettedato") if isinstance(body, dict) else None
        deleted_on = parse_deleted_on(deleted, orgnr) if isinstance(deleted, str) else None
        return _removed(orgnr, sub_unit, read_at, deleted_on, read_from=url)
    row = unit_row(parse_json(response, url), sub_unit=sub_unit, read_at=read_at, read_from=url)
    if row["orgnr"] != orgnr:
        raise MalformedData(f"{url} answered with unit {row['orgnr']}")
    return row


def _removed(
    orgnr: str,
    sub_unit: bool,
    read_at: dt.datetime,
    deleted_on: dt.date | None,
    *,
    read_from: str = "",
) -> dict[str, Any]:
    kind = "underenheter" if sub_unit else "enheter"
    return removed_row(
        orgnr,
        sub_unit=sub_unit,
        read_at=read_at or timezone.now(),
        read_from=read_from or f"{base_url()}/{kind}/{orgnr}",
        deleted_on=deleted_on,
    )


def fetch_any_unit(client: httpx.Client, orgnr: str, *, read_at: dt.datetime) -> dict[str, Any]:
    """A unit whose kind is not known (a company seen for the first time): a main unit, or else
    a sub-unit; removed if it is neither."""
    row = _fetch(client, orgnr, sub_unit=False, read_at=read_at)
    if row is None:
        row = _fetch(client, orgnr, sub_unit=True, read_at=read_at)
    return row if row is not None else _removed(orgnr, False, read_at, None)


def with_main_units(
    client: httpx.Client, rows: list[dict[str, Any]], *, read_at: dt.datetime
) -> list[dict[str, Any]]:
    """`rows` and the main units of its sub-units that are not stored yet, read now, so that a
    sub-unit is tied to its main unit (its roles, its bankruptcy) on the run that first sees it."""
    have = {row["orgnr"] for row in rows}
    wanted = {
        row["parent_orgnr"]
        for row in rows
        if row["is_sub_unit"] and row["parent_orgnr"] and not row["removed"]
    } - have
    if wanted:
        wanted -= set(BrregUnit.objects.filter(orgnr__in=wanted).values_list("orgnr", flat=True))
    extra = [fetch_unit(client, orgnr, read_at=read_at) for orgnr in sorted(wanted)]
    return rows + extra


def fetch_roles(client: httpx.Client, orgnr: str) -> list[dict[str, Any]]:
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


def lookup(orgnrs: Iterable[str], *, sub_units: bool | None = None) -> RegistryRun:
    """Read named units from the API now (a company seen for the first time, a staff check).

    `sub_units` None: each number is read as a main unit, or else as a sub-unit; the main unit
    of a sub-unit is read too when it is not stored yet.
    """
    orgnrs = sorted(set(orgnrs))
    run = start_run(RegistryRun.Source.BRREG_LOOKUP, f"{base_url()}/enheter")
    read_at = timezone.now()
    try:
        with make_client() as client:
            if sub_units is None:
                rows = [fetch_any_unit(client, o, read_at=read_at) for o in orgnrs]
            else:
                rows = [fetch_unit(client, o, sub_unit=sub_units, read_at=read_at) for o in orgnrs]
            rows = with_main_units(client, rows, read_at=read_at)
    except RegisterError as exc:
        return fail_run(run, str(exc))
    except BaseException as exc:
        fail_run(run, f"the run stopped on an unexpected error: {exc.__class__.__name__}")
        raise
    return stage_and_conclude(run, rows)
