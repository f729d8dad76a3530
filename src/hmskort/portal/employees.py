"""The company's employees and the state of their cards: filter, search, sort, page, export."""

from __future__ import annotations

import csv

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from hmskort.cards.models import CardType
from hmskort.cards.numbers import format_card_number
from hmskort.cards.selectors import STATUSES, EmployeeRow, employee_overview
from hmskort.companies.models import Company
from hmskort.companies.selectors import sub_units
from hmskort.identifiers import format_orgnr

from .access import company_view
from .reasons import explain

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


def _filtered(request: HttpRequest, rows: list[EmployeeRow]) -> tuple[list[EmployeeRow], dict]:
    chosen = {
        "status": request.GET.get("status", ""),
        "unit": request.GET.get("unit", ""),
        "card_type": request.GET.get("card_type", ""),
        "q": request.GET.get("q", "").strip(),
        "sort": request.GET.get("sort", "name"),
    }
    if chosen["status"] in STATUSES:
        rows = [r for r in rows if r.status == chosen["status"]]
    if chosen["unit"]:
        rows = [r for r in rows if chosen["unit"] in r.units]
    if chosen["card_type"]:
        rows = [r for r in rows if r.card and r.card.card_type_code == chosen["card_type"]]
    if chosen["q"]:
        words = chosen["q"].casefold().split()
        rows = [r for r in rows if all(w in r.name.casefold() for w in words)]
    if chosen["sort"] == "status":
        rows.sort(key=lambda r: STATUSES.index(r.status))  # stable: by name within a status
    elif chosen["sort"] == "expires":
        rows.sort(
            key=lambda r: (
                r.card is None or r.card.expires_on is None,
                r.card and r.card.expires_on,
            )
        )
    else:
        chosen["sort"] = "name"
    return rows, chosen


def _counts(rows: list[EmployeeRow]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for row in rows:
        counts[row.status] += 1
    return counts


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


@require_GET
@company_view
def employees(request: HttpRequest, company: Company, access) -> HttpResponse:
    all_rows = employee_overview(company)
    rows, chosen = _filtered(request, all_rows)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
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
            "rows": [_present(row, unit_names) for row in page.object_list],
            "summary": [(code, STATUS_LABELS[code], n) for code, n in _counts(all_rows).items()],
            "total": len(all_rows),
            "shown": len(rows),
            "chosen": chosen,
            "statuses": [(s, STATUS_LABELS[s]) for s in STATUSES],
            "units": units,
            "card_types": CardType.objects.filter(is_active=True).order_by("code"),
            "sorts": list(SORTS.items()),
            "query": query.urlencode(),
        },
    )


@require_GET
@company_view
def employees_export(request: HttpRequest, company: Company, access) -> HttpResponse:
    """The filtered overview as CSV (semicolon-separated, UTF-8 with BOM, as spreadsheets in
    Norway open it), every page."""
    rows, _chosen = _filtered(request, employee_overview(company))
    unit_names, _units = _unit_names(company)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="hmskort-{company.main_unit.orgnr}-{stamp}.csv"'
    )
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow(
        [
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
    )
    for row in rows:
        shown = _present(row, unit_names)
        card = row.card
        writer.writerow(
            [
                row.name,
                formats.date_format(row.birth_date) if row.birth_date else "",
                ", ".join(shown["units"]),
                str(shown["status_label"]),
                shown["number"],
                shown["card_type"],
                formats.date_format(card.expires_on) if card and card.expires_on else "",
                " | ".join(f"{r['title']}: {r['text']}" for r in shown["reasons"]),
                formats.date_format(timezone.localtime(card.validity_changed_at).date())
                if card and shown["reasons"] and card.validity_changed_at
                else "",
            ]
        )
    return response


def to_act_on(company: Company) -> list[tuple[str, object, int]]:
    """(status, label, count) for the statuses that need action: not valid, expiring, no card."""
    counts = _counts(employee_overview(company))
    return [
        (code, STATUS_LABELS[code], counts[code])
        for code in ("not_valid", "expiring", "no_card")
        if counts[code]
    ]
