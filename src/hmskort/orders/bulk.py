"""CSV bulk ordering: read a file of national ID number, name and e-mail per row, and report
every row's problems before anything is created. The check is set-based: a fixed number of
queries however many rows (5,000 rows: see bench/bulk_order.py)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from hmskort.cards.models import Card, CardType
from hmskort.cards.services import ACTIVE_STATES
from hmskort.companies.models import Company
from hmskort.identifiers import InvalidIdentifier, mask_national_id, parse_national_id
from hmskort.people.models import Person

from .services import MAX_CARDS_PER_ORDER, OrderRefused

MAX_FILE_BYTES = 2 * 1024 * 1024


@dataclass
class BulkRow:
    line: int  # the row's line number in the file (for the report)
    national_id: str
    name: str
    email: str
    problems: list[str] = field(default_factory=list)

    @property
    def masked(self) -> str:
        return mask_national_id(self.national_id) if len(self.national_id) == 11 else ""

    @property
    def names(self) -> tuple[str, str]:
        parts = self.name.split()
        return (" ".join(parts[:-1]), parts[-1]) if len(parts) > 1 else (self.name, "")

    def as_holder(self) -> dict[str, str]:
        given, family = self.names
        return {
            "national_id": self.national_id,
            "given_name": given,
            "family_name": family,
            "email": self.email,
            "language": "nb",
        }


def parse_csv(data: bytes) -> list[BulkRow]:
    """Rows of `national ID number, name, e-mail` (comma, semicolon or tab; a header row is
    skipped). Raises OrderRefused for a file that cannot be read at all."""
    if len(data) > MAX_FILE_BYTES:
        raise OrderRefused(_("The file is larger than 2 MB."), code="csv_too_large")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise OrderRefused(
            _("The file is not a UTF-8 text file. Save it as CSV (UTF-8) and try again."),
            code="csv_encoding",
        ) from None
    sample = text[:4096]
    delimiter = max(",;\t", key=sample.count) if sample.strip() else ","
    rows: list[BulkRow] = []
    for number, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if not rows and number == 1 and not any(ch.isdigit() for ch in cells[0]):
            continue  # a header row
        cells += [""] * (3 - len(cells))
        rows.append(BulkRow(line=number, national_id=cells[0], name=cells[1], email=cells[2]))
        if len(rows) > MAX_CARDS_PER_ORDER:
            raise OrderRefused(
                _("An order can hold at most %(n)s cards.") % {"n": MAX_CARDS_PER_ORDER},
                code="csv_big",
            )
    if not rows:
        raise OrderRefused(_("The file has no rows."), code="csv_empty")
    return rows


def check_rows(company: Company, card_type: CardType, rows: list[BulkRow]) -> list[BulkRow]:
    """Fill in each row's problems: a bad national ID number or name or e-mail, a person twice
    in the file, or a person who already has a valid or pending card of this type here."""
    allow_test = settings.HMSKORT_ALLOW_TEST_IDENTITIES
    seen: dict[str, int] = {}
    for row in rows:
        try:
            row.national_id = parse_national_id(row.national_id, allow_test=allow_test).number
        except InvalidIdentifier as exc:
            row.problems.append(str(exc))
            continue
        if row.national_id in seen:
            row.problems.append(
                _("The same person as on line %(line)s.") % {"line": seen[row.national_id]}
            )
        else:
            seen[row.national_id] = row.line
        given, family = row.names
        if not given or not family or len(row.name) > 400:
            row.problems.append(_("Enter the given name and family name."))
        if row.email:
            try:
                validate_email(row.email)
            except ValidationError:
                row.problems.append(_("The e-mail address is not valid."))
    numbers = list(seen)
    holder_ids = dict(
        Person.objects.filter(national_id__in=numbers).values_list("national_id", "pk")
    )
    with_card = set(
        Card.objects.filter(
            company=company.main_unit,
            card_type=card_type,
            state__in=ACTIVE_STATES,
            holder_id__in=list(holder_ids.values()),
        )
        .exclude(state__in=("issued", "blocked"), expires_on__lte=timezone.localdate())
        .values_list("holder_id", flat=True)
    )
    for row in rows:
        if holder_ids.get(row.national_id) in with_card:
            row.problems.append(_("Already has an active card of this type from this employer."))
    return rows
