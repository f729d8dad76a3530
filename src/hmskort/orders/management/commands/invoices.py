"""`hmskort invoices make`: invoice every order's shipped cards not invoiced yet (one invoice per
order); `hmskort invoices export [--from DATE] [--to DATE] [--output PATH]`: the CSV for the
accounting system (invoices and credit notes issued in the period)."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from hmskort.audit.services import Actor
from hmskort.orders import invoicing


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value}") from None


class Command(BaseCommand):
    help = "Invoicing: `invoices make` invoices the shipped cards; `invoices export` writes CSV."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("make", help="Invoice every order's shipped cards not invoiced yet.")
        export = sub.add_parser("export", help="Invoices and credit notes as CSV.")
        export.add_argument("--from", dest="date_from", default="", help="First issue date.")
        export.add_argument("--to", dest="date_to", default="", help="Last issue date.")
        export.add_argument("--output", default="", help="File to write (default: stdout).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "make":
            try:
                made = invoicing.invoice_shipped(actor=Actor.system("invoices"), staff="system")
            except ValidationError as exc:
                raise CommandError(" ".join(str(m) for m in exc.messages)) from None
            numbers = [i.number for i in made]
            self.stdout.write(
                f"{len(made)} invoices made"
                + (f" (numbers {min(numbers)} to {max(numbers)})." if numbers else ".")
            )
            return
        start = _date(options["date_from"]) if options["date_from"] else None
        end = _date(options["date_to"]) if options["date_to"] else None
        text = invoicing.documents_csv(
            invoicing.invoices(date_from=start, date_to=end),
            invoicing.credit_notes(date_from=start, date_to=end),
        )
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as f:
                f.write(text)
        else:
            self.stdout.write(text, ending="")
