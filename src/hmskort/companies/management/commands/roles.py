"""`hmskort roles import PATH` and `hmskort roles sync`: ordering roles from a file or a register.

import: a CSV file with the header `orgnr,national_id,role_code,name`. Each company named in the
file gets exactly the local roles the file lists for it. Every line is checked first; one bad
line stops the import with its line number and nothing is changed.

sync: re-read companies' roles from Enhetsregisteret's authorised roles API
(HMSKORT_BRREG_ROLES_URL, HMSKORT_BRREG_ROLES_TOKEN): `--orgnr` for some, or every main unit.
"""

from __future__ import annotations

import csv
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hmskort.companies.models import ORDERING_ROLE_CODES, Company
from hmskort.companies.roles import BrregAuthorisedRoleSource, RoleFact, RoleSourceError
from hmskort.companies.services import import_local_roles, refresh_roles_for_company
from hmskort.identifiers import InvalidIdentifier, parse_national_id, parse_orgnr

COLUMNS = ("orgnr", "national_id", "role_code", "name")


class Command(BaseCommand):
    help = "Import ordering roles from a CSV file, or sync them from Enhetsregisteret."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="CSV with orgnr,national_id,role_code,name")
        imp.add_argument("path")
        sync = sub.add_parser("sync", help="read roles from the authorised roles API")
        sync.add_argument("--orgnr", action="append", default=[])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "import":
            self._import(options["path"])
        else:
            self._sync(options["orgnr"])

    def _import(self, path: str) -> None:
        try:
            with open(path, newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                if tuple(reader.fieldnames or ()) != COLUMNS:
                    raise CommandError(f"{path}: the header must be {','.join(COLUMNS)}")
                facts = [self._fact(line_no, row) for line_no, row in enumerate(reader, start=2)]
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        result = import_local_roles(facts=facts)
        self.stdout.write(
            f"{result.read} roles read, {result.added} added, {result.removed} removed."
        )

    def _fact(self, line_no: int, row: dict[str, str]) -> RoleFact:
        try:
            orgnr = parse_orgnr(row["orgnr"] or "")
            national_id = parse_national_id(
                row["national_id"] or "", allow_test=settings.HMSKORT_ALLOW_TEST_IDENTITIES
            ).number
        except InvalidIdentifier as exc:
            # The message names the line, never the national ID number itself.
            raise CommandError(f"line {line_no}: {exc}") from None
        code = (row["role_code"] or "").strip().upper()
        if code not in ORDERING_ROLE_CODES:
            raise CommandError(
                f"line {line_no}: role code {code!r} is not one of {', '.join(ORDERING_ROLE_CODES)}"
            )
        return RoleFact(
            orgnr=orgnr, national_id=national_id, code=code, holder_name=(row["name"] or "").strip()
        )

    def _sync(self, orgnrs: list[str]) -> None:
        if not settings.HMSKORT_BRREG_ROLES_TOKEN:
            raise CommandError("HMSKORT_BRREG_ROLES_TOKEN is not set.")
        source = BrregAuthorisedRoleSource(
            settings.HMSKORT_BRREG_ROLES_URL, settings.HMSKORT_BRREG_ROLES_TOKEN
        )
        if not orgnrs:
            orgnrs = list(
                Company.objects.filter(parent__isnull=True).values_list("orgnr", flat=True)
            )
        failed = 0
        for index, orgnr in enumerate(orgnrs, start=1):
            try:
                result = refresh_roles_for_company(orgnr=orgnr, source=source)
            except RoleSourceError as exc:
                failed += 1
                self.stderr.write(f"{orgnr}: {exc} (stored roles kept)")
                continue
            self.stdout.write(
                f"[{index}/{len(orgnrs)}] {orgnr}: {result.read} roles, "
                f"{result.added} added, {result.removed} removed"
            )
        if failed:
            raise CommandError(f"{failed} of {len(orgnrs)} companies could not be read.")
