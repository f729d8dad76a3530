"""Aa-registeret (NAV) and the register of foreign assignments (Skatteetaten).

Neither has an open API: access is by agreement. The rules only read `people.Employment` rows,
so any source that yields EmploymentRecord values can feed them: today a CSV file (organisation
number, national ID number, from, to); tomorrow an authorised API client implementing
EmploymentSource, without touching the rules.

A file must be entirely well-formed: one bad line and the run fails, naming the line numbers
(never the national ID numbers). Rows for persons or companies the card register does not know
are skipped and counted: there are no cards to move for them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hmskort.companies.models import Company
from hmskort.http import MalformedData, RegisterError
from hmskort.identifiers import is_valid_national_id, is_valid_orgnr
from hmskort.people.models import Employment, Person

from .models import RegistryRun, StagedFact
from .services import Proposal, conclude, fail_run, start_run

HEADERS = {
    "orgnr": ("orgnr", "organisasjonsnummer", "organisation_number", "opplysningspliktig"),
    "national_id": ("national_id", "fodselsnummer", "fødselsnummer", "fnr", "personnummer", "id"),
    "starts_on": ("from", "fra", "starts_on", "start", "startdato", "fom"),
    "ends_on": ("to", "til", "ends_on", "end", "sluttdato", "tom"),
}


@dataclass(frozen=True)
class EmploymentRecord:
    orgnr: str
    national_id: str
    starts_on: dt.date
    ends_on: dt.date | None


class EmploymentSource(Protocol):
    """Anything that yields employments as one register reports them."""

    source: str  # people.Employment.Source value: "aareg" or "oar"
    read_from: str

    def records(self) -> Iterable[EmploymentRecord]: ...


def _date(text: str) -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


class CsvEmploymentFile:
    """A CSV file: organisation number, national ID number, from, to (header optional)."""

    def __init__(self, path: str | Path, *, source: str = Employment.Source.AAREG):
        self.path = Path(path)
        self.source = source
        self.read_from = f"file:{self.path.name}"

    def records(self) -> Iterator[EmploymentRecord]:
        try:
            text = self.path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise MalformedData(f"cannot read {self.path.name}: {exc}") from None
        sample = text[:4096]
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        order = ["orgnr", "national_id", "starts_on", "ends_on"]
        bad: list[int] = []
        records = []
        for line_no, row in enumerate(reader, start=1):
            cells = [c.strip() for c in row]
            if not any(cells):
                continue
            if line_no == 1 and not any(c.isdigit() for c in "".join(cells)):
                names = [c.lower() for c in cells]
                order = []
                for name in names:
                    match = next((k for k, alts in HEADERS.items() if name in alts), None)
                    order.append(match or name)
                if not {"orgnr", "national_id", "starts_on"} <= set(order):
                    raise MalformedData(f"{self.path.name}: the header names no orgnr/ID/from")
                continue
            values = dict(zip(order, cells, strict=False))
            try:
                orgnr = values.get("orgnr", "").replace(" ", "")
                national_id = values.get("national_id", "").replace(" ", "")
                starts_on = _date(values.get("starts_on", ""))
                ends_on = _date(values.get("ends_on", ""))
                if (
                    not is_valid_orgnr(orgnr)
                    or not is_valid_national_id(
                        national_id, allow_test=settings.HMSKORT_ALLOW_TEST_IDENTITIES
                    )
                    or starts_on is None
                    or (ends_on is not None and ends_on < starts_on)
                ):
                    raise ValueError
            except ValueError:
                bad.append(line_no)
                continue
            records.append(EmploymentRecord(orgnr, national_id, starts_on, ends_on))
        if bad:
            shown = ", ".join(map(str, bad[:20])) + (" …" if len(bad) > 20 else "")
            raise MalformedData(f"{self.path.name}: {len(bad)} malformed lines: {shown}")
        return iter(records)


def _is_open(ends_on: dt.date | None, today: dt.date) -> bool:
    return ends_on is None or ends_on >= today


def import_employments(source: EmploymentSource, *, force: bool = False) -> RegistryRun:
    """Upsert the source's employments, keyed by person, employer, source and start date."""
    run_source = (
        RegistryRun.Source.OAR
        if source.source == Employment.Source.FOREIGN
        else RegistryRun.Source.AAREG
    )
    run = start_run(run_source, source.read_from)
    try:
        records = list(source.records())
    except RegisterError as exc:
        return fail_run(run, str(exc))
    today = timezone.localdate()
    persons: dict[str, int] = {}  # national ID -> Person id
    companies: dict[str, Mapping[str, Any]] = {}  # orgnr -> pk, orgnr, parent_id
    ids = sorted({r.national_id for r in records})
    orgnrs = sorted({r.orgnr for r in records})
    for i in range(0, len(ids), 1000):
        persons.update(
            Person.objects.filter(national_id__in=ids[i : i + 1000]).values_list(
                "national_id", "pk"
            )
        )
    for i in range(0, len(orgnrs), 1000):
        for c in Company.objects.filter(orgnr__in=orgnrs[i : i + 1000]).values(
            "pk", "orgnr", "parent_id"
        ):
            companies[c["orgnr"]] = c
    existing = {
        (e.person_id, e.employer_id, e.starts_on): e
        for e in Employment.objects.filter(
            source=source.source, employer_id__in=[c["pk"] for c in companies.values()]
        )
    }
    proposal = Proposal(read=len(records))
    proposal.known = (
        Employment.objects.filter(source=source.source).exclude(ends_on__lt=today).count()
    )
    skipped_person = skipped_company = 0
    staged = []
    main_orgnrs = {
        c["pk"]: c["orgnr"]
        for c in Company.objects.filter(
            pk__in={c["parent_id"] or c["pk"] for c in companies.values()}
        ).values("pk", "orgnr")
    }
    for record in records:
        person_id = persons.get(record.national_id)
        company = companies.get(record.orgnr)
        if person_id is None:
            skipped_person += 1
            continue
        if company is None:
            skipped_company += 1
            continue
        key = (person_id, company["pk"], record.starts_on)
        before = existing.get(key)
        if before is not None and before.ends_on == record.ends_on:
            continue
        if (
            before is not None
            and _is_open(before.ends_on, today)
            and not _is_open(record.ends_on, today)
        ):
            proposal.lost += 1
        main_id = company["parent_id"] or company["pk"]
        proposal.affected_orgnrs.add(main_orgnrs[main_id])
        staged.append(
            StagedFact(
                run=run,
                key=f"{person_id}:{company['pk']}",
                data={
                    "person_id": person_id,
                    "employer_id": company["pk"],
                    "main_unit_id": main_id,
                    "starts_on": record.starts_on.isoformat(),
                    "ends_on": record.ends_on.isoformat() if record.ends_on else None,
                    "source": source.source,
                    "read_at": timezone.now().isoformat(),
                },
            )
        )
    proposal.changed = len(staged)
    if skipped_person or skipped_company:
        proposal.notes.append(
            f"skipped {skipped_person} rows of unknown persons and {skipped_company} of unknown companies"
        )
    with transaction.atomic():
        StagedFact.objects.bulk_create(staged, batch_size=2000)
        conclude(
            run,
            proposal,
            apply=lambda: apply_staged(run),
            discard_unchanged=lambda: None,
            force=force,
        )
    return run


def apply_staged(run: RegistryRun) -> None:
    for fact in StagedFact.objects.filter(run=run).iterator():
        d = fact.data
        Employment.objects.update_or_create(
            person_id=d["person_id"],
            employer_id=d["employer_id"],
            source=d["source"],
            starts_on=dt.date.fromisoformat(d["starts_on"]),
            defaults={
                "main_unit_id": d["main_unit_id"],
                "ends_on": dt.date.fromisoformat(d["ends_on"]) if d["ends_on"] else None,
                "read_at": dt.datetime.fromisoformat(d["read_at"]),
            },
        )
    StagedFact.objects.filter(run=run).delete()


def apply_held(run: RegistryRun) -> None:
    proposal = Proposal(read=run.records_read, changed=run.records_changed, lost=run.records_lost)
    main_ids = {f.data["main_unit_id"] for f in StagedFact.objects.filter(run=run)}
    proposal.affected_orgnrs = set(
        Company.objects.filter(pk__in=main_ids).values_list("orgnr", flat=True)
    )
    conclude(
        run, proposal, apply=lambda: apply_staged(run), discard_unchanged=lambda: None, force=True
    )
