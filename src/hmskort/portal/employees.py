"""The company's employees and the state of their cards: filter, search, sort, page, export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from hmskort.cards.models import CardType
from hmskort.cards.numbers import format_card_number
from hmskort.cards.reasons import explain
from hmskort.cards.selectors import (
    STATUSES,
    EmployeeRow,
    employee_overview,
    employee_rows,
    employee_status_counts,
)
from hmskort.companies.models import Company
from hmskort.companies.selectors import sub_units
from hmskort.identifiers import format_orgnr

from .access import company_view

PAGE_SIZE = 25

STATUS_LABELS = {
    "valid": gettext_lazy("Valid"),
    "expiring": gettext_lazy("Valid, expires within 60 days"),
    "not_valid": gettext_lazy("Not valid"),
    "ordered": gettext_lazy("Ordered or in production"),
    "no_card": gettext_lazy("No card"),
}
STATUS_COLORS = {
    "valid": "success",
    "expiring": "warning",
    "not_valid": "danger",
    "ordered": "info",
    "no_card": "neutral",
}
SORTS = {
    "name": pgettext_lazy("sort", "Name"),
    "status": pgettext_lazy("sort", "Status (most urgent first)"),
    "expires": pgettext_lazy("sort", "Expiry date (soonest first)"),
}


def _chosen(request: HttpRequest) -> dict[str, str]:
    chosen = {
        "status": request.GET.get("status", ""),
        "unit": request.GET.get("unit", ""),
        "card_type": request.GET.get("card_type", ""),
        "q": request.GET.get("q", "").strip(),
        "sort": request.GET.get("sort", "name"),
    }
    if chosen["sort"] not in SORTS:
        chosen["sort"] = "name"
    return chosen


def _overview(company: Company, chosen: dict[str, str]) -> QuerySet:
    return employee_overview(
        company,
        status=chosen["status"],
        unit=chosen["unit"],
        card_type=chosen["card_type"],
        q=chosen["q"],
        sort=chosen["sort"],
    )


def _present(row: EmployeeRow, unit_names: dict[str, str]) -> dict:
    card = row.card
    lang_en = (get_language() or "nb")[:2] == "en"
    return {
        "row": row,
        "status_label": STATUS_LABELS[row.status],
        "status_color": STATUS_COLORS[row.status],
        "units": [unit_names.get(orgnr, format_orgnr(orgnr)) for orgnr in row.units],
        "number": format_card_number(card.number) if card else "",
        "card_type": (card.card_type_name_en if lang_en else card.card_type_name_nb)
        if card
        else "",
        "reasons": [explain(code) for code in card.reasons]
        if card and row.status == "not_valid"
        else [],
    }


def _unit_names(company: Company) -> tuple[dict[str, str], list[Company]]:
    main = company.main_unit
    units = [main, *sub_units(main)]
    return {u.orgnr: u.name for u in units}, units


def _all_rows(company: Company, people: QuerySet) -> Iterator[EmployeeRow]:
    """Every row of the filtered overview, a chunk of rows (three queries) at a time."""
    chunk = 2000
    offset = 0
    while True:
        batch = list(people[offset : offset + chunk])
        yield from employee_rows(company, batch)
        if len(batch) < chunk:
            return
        offset += chunk


@require_GET
@company_view
def employees(request: HttpRequest, company: Company, access) -> HttpResponse:
    chosen = _chosen(request)
    counts = employee_status_counts(company)
    paginator = Paginator(_overview(company, chosen), PAGE_SIZE)
    if not any(chosen[key] for key in ("status", "unit", "card_type", "q")):
        paginator.count = sum(counts.values())  # every employee: counted already
    page = paginator.get_page(request.GET.get("page"))
    unit_names, units = _unit_names(company)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/employees.html",
        {
            "company": company,
            "main": company.main_unit,
            "page": page,
            "rows": [_present(row, unit_names) for row in employee_rows(company, page.object_list)],
            "summary": [(code, STATUS_LABELS[code], n) for code, n in counts.items()],
            "total": sum(counts.values()),
            "shown": page.paginator.count,
            "chosen": chosen,
            "statuses": [(s, STATUS_LABELS[s]) for s in STATUSES],
            "units": units,
            "card_types": CardType.objects.filter(is_active=True).order_by("code"),
            "sorts": list(SORTS.items()),
            "query": query.urlencode(),
        },
    )


def _export_header() -> list[str]:
    return [
        _("Name"),
        _("Date of birth"),
        _("Units"),
        _("Status"),
        _("Card number"),
        _("Card type"),
        _("Expires"),
        _("Reasons"),
        _("Not valid since"),
    ]


def _export_rows(company: Company, request: HttpRequest) -> Iterator[list]:
    """The filtered overview, every page, one list of cells per employee (dates as dates, or
    None). The same columns in CSV and XLSX; no national ID numbers."""
    people = _overview(company, _chosen(request))
    unit_names, _units = _unit_names(company)
    for row in _all_rows(company, people):
        shown = _present(row, unit_names)
        card = row.card
        yield [
            row.name,
            row.birth_date,
            ", ".join(shown["units"]),
            str(shown["status_label"]),
            shown["number"],
            shown["card_type"],
            card.expires_on if card else None,
            " | ".join(f"{r['title']}: {r['text']}" for r in shown["reasons"]),
            timezone.localtime(card.validity_changed_at).date()
            if card and shown["reasons"] and card.validity_changed_at
            else None,
        ]


def _export_name(company: Company, extension: str) -> str:
    stamp = timezone.localdate().isoformat()
    return f'attachment; filename="hmskort-{company.main_unit.orgnr}-{stamp}.{extension}"'


@require_GET
@company_view
def employees_export(request: HttpRequest, company: Company, access) -> HttpResponse:
    """The filtered overview as CSV (semicolon-separated, UTF-8 with BOM, as spreadsheets in
    Norway open it), every page."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _export_name(company, "csv")
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow(_export_header())
    for cells in _export_rows(company, request):
        writer.writerow(
            [formats.date_format(c) if isinstance(c, dt.date) else (c or "") for c in cells]
        )
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_COLUMNS = (1, 6, 8)  # date of birth, expires, not valid since


@require_GET
@company_view
def employees_export_xlsx(request: HttpRequest, company: Company, access) -> HttpResponse:
    """The filtered overview as an Excel workbook: the CSV's columns, dates as real dates
    (shown as 31.10.2028 in Norwegian, 31 Oct 2028 in English), the header row frozen."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Employees"))
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHI", (28, 14, 30, 26, 16, 22, 14, 60, 16), strict=True):
        sheet.column_dimensions[column].width = width
    date_format = "dd.mm.yyyy" if (get_language() or "nb")[:2] == "nb" else "d mmm yyyy"
    header = []
    for title in _export_header():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for cells in _export_rows(company, request):
        row = []
        for i, value in enumerate(cells):
            cell = WriteOnlyCell(sheet, value=value if value != "" else None)
            if i in DATE_COLUMNS and value is not None:
                cell.number_format = date_format
            row.append(cell)
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = _export_name(company, "xlsx")
    return response


def to_act_on(company: Company) -> list[tuple[str, object, int]]:
    """(status, label, count) for the statuses that need action: not valid, expiring, no card."""
    counts = employee_status_counts(company)
    return [
        (code, STATUS_LABELS[code], counts[code])
        for code in ("not_valid", "expiring", "no_card")
        if counts[code]
    ]
