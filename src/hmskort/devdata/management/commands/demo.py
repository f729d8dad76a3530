"""`hmskort demo`: load the demo world (idempotent) and write var/demo.json."""

import json
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hmskort.companies.models import Company
from hmskort.devdata import backoffice as backoffice_demo
from hmskort.devdata import demo
from hmskort.devdata import orders as orders_demo
from hmskort.people.models import Person


class Command(BaseCommand):
    help = "Load the demo data (idempotent) and write var/demo.json."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--output", default="", help="Where to write (default var/demo.json).")

    def handle(self, *args: Any, **options: Any) -> None:
        data = demo.load()
        problems = demo.mismatches(data)
        if problems:
            raise CommandError("Demo cards do not come out as promised:\n" + "\n".join(problems))
        # Orders of Demo Bygg AS, placed by its general manager (the first demo person).
        leader = data["persons"][0]
        company = Company.objects.get(orgnr=leader["companies"][0]["orgnr"])
        orderer = Person.objects.get(national_id=leader["national_id"])
        data.update(orders_demo.load(company=company, orderer=orderer))
        # The back office: a staff user per role, and one rendered production batch.
        data["staff"] = backoffice_demo.staff_users()
        batch = backoffice_demo.production_batch(company=company, orderer=orderer)
        data["orders"].append(batch.pop("order"))
        data["batch"] = batch
        # Invoicing: one order of Demo Bygg AS shipped and invoiced.
        invoiced = backoffice_demo.invoiced_order(company=company, orderer=orderer)
        data["orders"].append(invoiced["order"])
        data["invoices"] = invoiced["invoices"]
        path = options["output"] or settings.VAR_DIR / "demo.json"
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
            f.write("\n")
        valid = sum(1 for c in data["cards"] if c["valid"])
        self.stdout.write(
            f"Demo data loaded: {len(data['persons'])} persons who can log in, "
            f"{len(data['cards'])} cards ({valid} valid), {len(data['orders'])} orders. "
            f"Written to {path}"
        )
