"""E-mails to orderers (a refused photo or photo ID, cards shipped) go through the job queue,
queued when the transaction commits: none is sent in the request, none after a rollback."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction

from hmskort.audit.services import Actor
from hmskort.cards.models import CardState
from hmskort.orders import fulfilment
from hmskort.orders.selectors import OrdererContact
from hmskort.orders.services import documents_submit
from tests.orders.conftest import new_holder, place_order, upload

pytestmark = pytest.mark.django_db

STAFF = Actor.staff("vera")


class RequestFailed(Exception):
    pass


def _lines_awaiting_verification(world, orderers: int):
    """One order per orderer's address (one card each), photos and photo IDs in."""
    lines = []
    for i in range(orderers):
        order = place_order(
            world,
            [new_holder(serial=300 + i)],
            contact=OrdererContact(email=f"bestiller{i}@acme.example", language="nb"),
        ).order
        line = order.lines.get()
        documents_submit(line=line, upload=upload(), actor=STAFF, uploaded_by="orderer")
        line.refresh_from_db()
        lines.append(line)
    return lines


def _produced_batch(world, orderers: int):
    for line in _lines_awaiting_verification(world, orderers):
        fulfilment.verification_approve(line=line, staff="vera", actor=STAFF)
    batch = fulfilment.batch_create(staff="per", actor=STAFF)
    return fulfilment.batch_mark_produced(batch=batch, actor=STAFF)


def test_shipping_a_batch_of_many_orders_mails_nobody_in_the_request_and_the_queue_mails_each(
    world, job_queue, django_capture_on_commit_callbacks
):
    batch = _produced_batch(world, orderers=4)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        fulfilment.batch_ship(batch=batch, actor=STAFF)

    assert mail.outbox == []
    assert job_queue.names() == ["mail_shipping_notices"]
    job_queue.run()
    assert sorted(m.to[0] for m in mail.outbox) == [f"bestiller{i}@acme.example" for i in range(4)]
    assert {m.subject for m in mail.outbox} == {"HMS-kortene er på vei"}


def test_a_refusal_is_mailed_by_the_job_queue_not_in_the_request(
    world, job_queue, django_capture_on_commit_callbacks
):
    (line,) = _lines_awaiting_verification(world, orderers=1)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        fulfilment.verification_reject(
            line=line, reason="id_expired", text="", staff="vera", actor=STAFF
        )

    assert mail.outbox == []
    assert job_queue.names() == ["mail_refusal"]
    job_queue.run()
    assert [m.to for m in mail.outbox] == [["bestiller0@acme.example"]]
    assert "Legitimasjonen er utløpt." in mail.outbox[0].body


def test_a_refusal_rolled_back_mails_nobody(world, django_capture_on_commit_callbacks):
    (line,) = _lines_awaiting_verification(world, orderers=1)
    mail.outbox.clear()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RequestFailed),
        transaction.atomic(),
    ):
        fulfilment.verification_reject(
            line=line, reason="id_expired", text="", staff="vera", actor=STAFF
        )
        raise RequestFailed

    assert callbacks == []
    assert mail.outbox == []
    line.card.refresh_from_db()
    assert line.card.state == CardState.AWAITING_VERIFICATION


def test_a_shipment_rolled_back_mails_nobody(world, django_capture_on_commit_callbacks):
    batch = _produced_batch(world, orderers=2)
    mail.outbox.clear()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RequestFailed),
        transaction.atomic(),
    ):
        fulfilment.batch_ship(batch=batch, actor=STAFF)
        raise RequestFailed

    assert callbacks == []
    assert mail.outbox == []
    batch.refresh_from_db()
    assert batch.status == batch.Status.PRODUCED
