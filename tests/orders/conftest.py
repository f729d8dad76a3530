from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from hmskort.audit.services import Actor
from hmskort.companies.services import delivery_address_add
from hmskort.orders.services import Holder
from hmskort.people.services import DocumentsUpload
from tests.factories import (
    CompanyFactory,
    EmploymentFactory,
    PersonFactory,
    RoleFactory,
    national_id_for,
)
from tests.orders.images import jpeg

# The marks of a test of real concurrency: committed data that other connections see, on
# PostgreSQL (SQLite runs one writer at a time, so it cannot race).
CONCURRENT = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def race(*calls):
    """Run the calls at the same moment, each in a thread of its own with its own database
    connection; their results in order, an exception being a result (the loser's refusal)."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:
            results[i] = exc
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def key() -> str:
    return uuid.uuid4().hex


def upload(**overrides) -> DocumentsUpload:
    values = {
        "photo": jpeg(),
        "document_kind": "passport",
        "document_front": jpeg(1000, 700),
        "document_back": None,
    }
    values.update(overrides)
    return DocumentsUpload(**values)


@pytest.fixture
def world(db):
    """A company, a manager who may order for it, an employee, a delivery address."""
    company = CompanyFactory(name="Acme Bygg AS")
    manager = PersonFactory(given_name="Siri", family_name="Sjef")
    RoleFactory(company=company, national_id=manager.national_id, code="DAGL")
    employee = PersonFactory(given_name="Ola", family_name="Arbeider")
    EmploymentFactory(person=employee, employer=company, starts_on=dt.date(2020, 1, 1))
    address = delivery_address_add(
        company=company,
        actor=Actor.system("test"),
        recipient="Acme Bygg AS",
        street="Byggveien 2",
        postcode="0150",
        city="Oslo",
    )
    outsider = PersonFactory(given_name="Otto", family_name="Utenfor")
    return type(
        "World",
        (),
        {
            "company": company,
            "manager": manager,
            "employee": employee,
            "address": address,
            "outsider": outsider,
            "today": timezone.localdate(),
        },
    )


def new_holder(serial: int = 1, **kw) -> Holder:
    return Holder(
        national_id=national_id_for(dt.date(1991, 3, 4), serial),
        given_name="Nina",
        family_name="Ny",
        **kw,
    )


@pytest.fixture(autouse=True)
def _in_bokmal():
    """These tests read Norwegian pages and reverse Norwegian URLs, whatever an earlier test
    left active."""
    from django.utils import translation

    with translation.override("nb"):
        yield
