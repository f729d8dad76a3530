"""The orderer's e-mail address and language, asked on the order summary and kept on the order:
the issuer's messages about the order (a refused photo, the cards sent) go there."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from hmskort.alerts.models import AlertContact
from hmskort.audit.services import Actor
from hmskort.orders import fulfilment
from hmskort.orders.models import Order
from hmskort.orders.selectors import OrdererContact
from hmskort.orders.services import Holder, documents_submit
from tests.factories import CardFactory
from tests.orders.conftest import key, place_order, upload

pytestmark = pytest.mark.django_db


def _url(name, company, *args):
    return reverse(f"portal:{name}", args=[company.orgnr, *args])


def _to_summary(client, world):
    client.post(
        _url("order_new", world.company),
        {
            "key": key(),
            "delivery_address": world.address.pk,
            "employees": [world.employee.pk],
            "new-TOTAL_FORMS": "0",
            "new-INITIAL_FORMS": "0",
            "new-MIN_NUM_FORMS": "0",
            "new-MAX_NUM_FORMS": "50",
        },
    )
    return client.get(_url("order_review", world.company))


def _submit(client, world, summary, email, language):
    """Place the order on the summary with this e-mail address and language."""
    return client.post(
        _url("order_review", world.company),
        {"key": summary.context["key"], "orderer_email": email, "orderer_language": language},
    )


def test_the_summary_asks_for_the_orderers_e_mail_and_keeps_it_with_the_language_on_the_order(
    world, log_in_as
):
    client = log_in_as(world.manager)
    summary = _to_summary(client, world)
    assert "Din e-postadresse" in summary.content.decode()

    _submit(client, world, summary, " siri@acme.example ", "en")

    order = Order.objects.get()
    assert (order.orderer_email, order.orderer_language) == ("siri@acme.example", "en")


def test_an_order_without_the_orderers_e_mail_is_refused_with_a_focused_summary(world, log_in_as):
    client = log_in_as(world.manager)
    summary = _to_summary(client, world)

    response = _submit(client, world, summary, "", "nb")

    page = response.content.decode()
    assert response.status_code == 400
    assert not Order.objects.exists()
    assert 'id="error-summary"' in page and "autofocus" in page
    assert "Oppgi e-postadressen din" in page
    assert 'aria-invalid="true"' in page


def test_a_mistyped_e_mail_address_is_refused_and_nothing_is_ordered(world, log_in_as):
    client = log_in_as(world.manager)
    summary = _to_summary(client, world)

    response = _submit(client, world, summary, "siri@", "nb")

    assert response.status_code == 400
    assert "navn@eksempel.no" in response.content.decode()
    assert not Order.objects.exists()


def test_the_next_order_fills_in_the_e_mail_and_language_of_the_last_one(world, log_in_as):
    place_order(world, contact=OrdererContact(email="siri@acme.example", language="en"))
    client = log_in_as(world.manager)

    again = _to_summary(client, world)

    form = again.context["form"]
    assert form["orderer_email"].value() == "siri@acme.example"
    assert form["orderer_language"].value() == "en"


def test_a_first_order_fills_in_the_address_given_for_e_mail_alerts(world, log_in_as):
    AlertContact.objects.create(person=world.manager, email="siri@acme.example", language="en")
    client = log_in_as(world.manager)

    summary = _to_summary(client, world)

    form = summary.context["form"]
    assert form["orderer_email"].value() == "siri@acme.example"
    assert form["orderer_language"].value() == "en"


def test_a_lost_card_reported_before_any_order_keeps_the_alert_address_on_its_order(
    world, log_in_as
):
    AlertContact.objects.create(person=world.manager, email="siri@acme.example", language="en")
    card = CardFactory(company=world.company, holder=world.employee)
    client = log_in_as(world.manager)
    form = client.get(_url("card", world.company, card.number)).context["form"]
    assert form["orderer_email"].value() == "siri@acme.example"  # filled in, not typed again

    client.post(
        _url("card_report", world.company, card.number),
        {
            "report": "lost",
            "delivery_address": world.address.pk,
            **{name: form[name].value() for name in ("key", "orderer_email", "orderer_language")},
        },
    )

    order = Order.objects.get(kind="replacement")
    assert (order.orderer_email, order.orderer_language) == ("siri@acme.example", "en")


def _waiting_line(world, *, contact=None, worker_email=""):
    result = place_order(
        world,
        [Holder(person_id=world.employee.pk, email=worker_email, language="nb")],
        contact=contact,
    )
    line = result.order.lines.get()
    documents_submit(line=line, upload=upload(), actor=Actor.system("test"), uploaded_by="orderer")
    line.refresh_from_db()
    return line


def test_a_refusal_is_mailed_to_the_orderer_in_the_orderers_language_not_to_the_worker(
    world, django_capture_on_commit_callbacks
):
    line = _waiting_line(
        world,
        contact=OrdererContact(email="siri@acme.example", language="en"),
        worker_email="ola@example.no",
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        fulfilment.verification_reject(
            line=line, reason="id_expired", text="", staff="vera", actor=Actor.staff("vera")
        )

    assert [m.to for m in mail.outbox] == [["siri@acme.example"]]
    assert mail.outbox[0].subject == "Your HSE card: new photo or photo ID needed"
    assert "The photo ID has expired." in mail.outbox[0].body
    assert f"/en/companies/{world.company.orgnr}/orders/{line.order_id}/" in mail.outbox[0].body


def test_an_order_from_before_the_orderers_e_mail_falls_back_to_the_upload_links_address(
    world, django_capture_on_commit_callbacks
):
    line = _waiting_line(world, worker_email="ola@example.no")
    Order.objects.filter(pk=line.order_id).update(orderer_email="")
    line.refresh_from_db()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        fulfilment.verification_reject(
            line=line, reason="id_expired", text="", staff="vera", actor=Actor.staff("vera")
        )

    assert [m.to for m in mail.outbox] == [["ola@example.no"]]
    assert "Legitimasjonen er utløpt." in mail.outbox[0].body


def test_shipping_mails_the_orderer_which_cards_went_where(
    world, django_capture_on_commit_callbacks
):
    from hmskort.cards.numbers import format_card_number

    line = _waiting_line(world, contact=OrdererContact(email="siri@acme.example", language="nb"))
    actor = Actor.staff("per")
    fulfilment.verification_approve(line=line, staff="vera", actor=actor)
    batch = fulfilment.batch_create(staff="per", actor=actor)
    fulfilment.batch_mark_produced(batch=batch, actor=actor)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        fulfilment.batch_ship(batch=batch, actor=actor)

    assert [m.to for m in mail.outbox] == [["siri@acme.example"]]
    body = mail.outbox[0].body
    assert mail.outbox[0].subject == "HMS-kortene er på vei"
    assert "Byggveien 2" in body and "Ola Arbeider" in body
    assert format_card_number(line.card.number) in body
