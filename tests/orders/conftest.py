from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from hmskort.orders.services import Holder, OrderResult, order_place, order_renew
from hmskort.people.services import DocumentsUpload
from tests.factories import (
    BrregUnitFactory,
    CompanyFactory,
    EmploymentFactory,
    PersonFactory,
    RoleFactory,
    delivery_address,
    national_id_for,
)
from tests.orders.images import jpeg

# The marks of a test of real concurrency: committed data that other connections see, on
# PostgreSQL (SQLite runs one writer at a time, so it cannot race).
CONCURRENT = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    # Orders commit here, so a company unknown to the register would be looked up after commit.
    pytest.mark.usefixtures("known_to_the_register"),
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
    address = delivery_address(company)
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


@pytest.fixture
def known_to_the_register(world):
    """The world's company as read from Enhetsregisteret, so an order queues no register lookup:
    for transactional tests (which run it after commit) that are not about the lookup."""
    BrregUnitFactory(orgnr=world.company.orgnr, name=world.company.name)
    return world


def place_order(world, holders: list[Holder] | None = None, **kw) -> OrderResult:
    """The world's manager orders a card for each holder (one new person by default) to the
    world's delivery address, with a new one-time key; `kw` as for `order_place`."""
    args = {
        "company": world.company,
        "orderer": world.manager,
        "holders": [new_holder()] if holders is None else holders,
        "delivery_address": world.address,
        "idempotency_key": key(),
    }
    return order_place(**{**args, **kw})


def renew_cards(world, card_ids: list[int]) -> OrderResult:
    """The world's manager renews the cards in one order to the world's delivery address."""
    return order_renew(
        company=world.company,
        orderer=world.manager,
        card_ids=card_ids,
        delivery_address=world.address,
        idempotency_key=key(),
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
