"""Where a person's roles in companies come from: one interface, one source chosen by settings.

A role source answers "which ordering roles does this national ID number hold?" with `RoleFact`s.
Every source is keyed by national ID number: a person is never matched to a role by name and
birth date (the open roles API gives only those, so it is not a source here).

- `LocalRoleSource` (embedded default and tests): the `companies.Role` rows with source "local",
  loaded by `hmskort demo` or `hmskort roles import PATH`.
- `BrregAuthorisedRoleSource` (production): Enhetsregisteret's authorised roles API,
  `GET {HMSKORT_BRREG_ROLES_URL}/enheter/{orgnr}/roller`, which carries `person.fodselsnummer` and
  needs a Maskinporten access token. That API is keyed by organisation number, so a person's
  roles are re-read for the companies they are known to hold roles in; `hmskort roles sync`
  reads whole companies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from hmskort.http import RegisterError, make_client, parse_json, request

from .models import ORDERING_ROLE_CODES, Role


@dataclass(frozen=True)
class RoleFact:
    orgnr: str
    national_id: str
    code: str
    holder_name: str = ""
    company_name: str = ""


class RoleSourceError(Exception):
    """The source could not be read; the roles already stored are kept."""


class RoleSource(Protocol):
    name: str

    def roles_for_person(self, national_id: str) -> list[RoleFact]: ...


class CompanyRoleSource(Protocol):
    """A source read company by company (Enhetsregisteret's authorised roles API)."""

    name: str

    def roles_for_company(self, orgnr: str) -> list[RoleFact]: ...


class LocalRoleSource:
    """Roles stored locally (demo data or a file import): the rows are the source."""

    name = "local"

    def roles_for_person(self, national_id: str) -> list[RoleFact]:
        rows = Role.objects.filter(national_id=national_id, source=self.name).select_related(
            "company"
        )
        return [
            RoleFact(
                orgnr=row.company.orgnr,
                national_id=row.national_id,
                code=row.code,
                holder_name=row.holder_name,
                company_name=row.company.name,
            )
            for row in rows
        ]


class BrregAuthorisedRoleSource:
    """Enhetsregisteret's authorised roles API (`/autorisert-api/enheter/{orgnr}/roller`)."""

    name = "brreg"

    def __init__(self, base_url: str, token: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout  # shorter than other registers': a login waits for this read

    def roles_for_company(self, orgnr: str) -> list[RoleFact]:
        """Every ordering role of one company whose holder is a living person with a number.

        Read with the registers' shared HTTP client: timeouts, and retries with backoff on
        timeouts and 429/5xx answers (HMSKORT_REGISTRY_RETRIES, HMSKORT_REGISTRY_BACKOFF).
        """
        url = f"{self.base_url}/enheter/{orgnr}/roller"
        try:
            with make_client(
                headers={"Authorization": f"Bearer {self.token}"}, timeout=self.timeout
            ) as client:
                response = request(client, url, accept_statuses=(404,))
                if response.status_code == 404:
                    return []
                body = parse_json(response, url)
        except RegisterError as exc:
            raise RoleSourceError(f"roles for {orgnr}: {exc}") from exc
        if not isinstance(body, dict):
            raise RoleSourceError(f"roles for {orgnr}: not a JSON object")
        return parse_brreg_roles(orgnr, body)

    def roles_for_person(self, national_id: str) -> list[RoleFact]:
        orgnrs = (
            Role.objects.filter(national_id=national_id, source=self.name)
            .values_list("company__orgnr", flat=True)
            .distinct()
        )
        facts: list[RoleFact] = []
        for orgnr in orgnrs:
            facts.extend(
                fact for fact in self.roles_for_company(orgnr) if fact.national_id == national_id
            )
        return facts


def parse_brreg_roles(orgnr: str, body: dict[str, Any]) -> list[RoleFact]:
    """Read `rollegrupper[].roller[]`: ordering roles held by persons with a national ID number."""
    facts: list[RoleFact] = []
    for group in body.get("rollegrupper") or []:
        for role in group.get("roller") or []:
            code = ((role.get("type") or {}).get("kode") or "").upper()
            person = role.get("person") or {}
            number = str(person.get("fodselsnummer") or "").strip()
            if code not in ORDERING_ROLE_CODES or not number:
                continue
            if role.get("fratraadt") or person.get("erDoed"):
                continue
            name = person.get("navn") or {}
            holder = " ".join(
                part
                for part in (name.get("fornavn"), name.get("mellomnavn"), name.get("etternavn"))
                if part
            )
            facts.append(RoleFact(orgnr=orgnr, national_id=number, code=code, holder_name=holder))
    return facts


def configured_source() -> RoleSource:
    """The source named by HMSKORT_ROLES_SOURCE (read at call time, so tests can override it)."""
    name = getattr(settings, "HMSKORT_ROLES_SOURCE", "local")
    if name == "brreg":
        return BrregAuthorisedRoleSource(
            settings.HMSKORT_BRREG_ROLES_URL, settings.HMSKORT_BRREG_ROLES_TOKEN
        )
    return LocalRoleSource()


ROLE_LABELS = {
    "DAGL": _("Managing director"),
    "INNH": _("Proprietor"),
    "LEDE": _("Chair of the board"),
    "DTPR": _("Partner with full liability"),
    "DTSO": _("Partner with shared liability"),
    "KOMP": _("General partner"),
    "BEST": _("Managing shipowner"),
    "BOBE": _("Administrator of the estate"),
}


def role_label(code: str) -> str:
    return str(ROLE_LABELS.get(code, code))
