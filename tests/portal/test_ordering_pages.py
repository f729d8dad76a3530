"""The order flow in the portal, without JavaScript: addresses, order, summary, history, the
orderer's upload, the employee's link, a card's page with lost/stolen, and the worker's cards."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hmskort.audit.services import Actor
from hmskort.cards import services as cards
from hmskort.cards.models import Card, CardState
from hmskort.orders.models import Order, OrderLine, UploadLink
from tests.factories import CardFactory, national_id_for
from tests.orders.conftest import key
from tests.orders.images import gif, jpeg

pytestmark = pytest.mark.django_db
# The orderer's contact, asked for with every order (the issuer writes there about it).
CONTACT = {"orderer_email": "siri@acme.example", "orderer_language": "nb"}

# The orderer's e-mail address and language, asked on the summary.
CONTACT = {"orderer_email": "siri@acme.example", "orderer_language": "nb"}


def _url(name, company, *args):
    return reverse(f"portal:{name}", args=[company.orgnr, *args])


def _place(client, world, *, holders=None, new=None, order_key=None):
    data = {
        "key": order_key or key(),
        "delivery_address": world.address.pk,
        "employees": holders if holders is not None else [world.employee.pk],
        "new-TOTAL_FORMS": "3",
        "new-INITIAL_FORMS": "0",
        "new-MIN_NUM_FORMS": "0",
        "new-MAX_NUM_FORMS": "50",
    }
    for i, row in enumerate(new or []):
        for name, value in row.items():
            data[f"new-{i}-{name}"] = value
        data.setdefault(f"new-{i}-language", "nb")
    return client.post(_url("order_new", world.company), data)


def test_a_manager_orders_a_card_and_sees_price_vat_and_history(world, log_in_as):
    client = log_in_as(world.manager)
    response = _place(client, world)
    assert response.status_code == 302
    review = client.get(response["Location"])
    text = review.content.decode()
    assert "104,00" in text and "26,00" in text and "130,00" in text and "MVA 25" in text
    placed = client.post(
        _url("order_review", world.company), {"key": review.context["key"], **CONTACT}
    )
    order = Order.objects.get()
    assert placed["Location"] == _url("order", world.company, order.pk)
    detail = client.get(placed["Location"]).content.decode()
    assert "Ola Arbeider" in detail and "Venter på bilde og legitimasjon" in detail
    assert re.search(r"/opplasting/[^<\s]+", detail)
    history = client.get(_url("orders", world.company)).content.decode()
    assert f"Bestilling {order.pk}" in history


def test_submitting_the_summary_twice_makes_one_order(world, log_in_as):
    client = log_in_as(world.manager)
    _place(client, world)
    form_key = client.get(_url("order_review", world.company)).context["key"]
    first = client.post(_url("order_review", world.company), {"key": form_key, **CONTACT})
    # A second click (the draft is gone by then) lands on the same order.
    second = client.post(_url("order_review", world.company), {"key": form_key, **CONTACT})
    assert first["Location"] == second["Location"]
    assert Order.objects.count() == 1 and Card.objects.count() == 1


def test_a_bad_national_id_is_shown_in_the_error_summary_and_nothing_is_saved(world, log_in_as):
    client = log_in_as(world.manager)
    response = _place(
        client,
        world,
        holders=[],
        new=[{"national_id": "12345678901", "given_name": "Feil", "family_name": "Nummer"}],
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert 'id="error-summary"' in text and "autofocus" in text
    assert "ikke et gyldig fødselsnummer" in text
    assert not Order.objects.exists() and not Card.objects.exists()


def test_a_person_of_another_company_gets_404_on_every_ordering_page(world, log_in_as):
    client = log_in_as(world.outsider)
    for name in ("order_new", "order_review", "orders", "addresses"):
        assert client.get(_url(name, world.company)).status_code == 404
    assert _place(client, world).status_code == 404
    assert not Order.objects.exists()


def test_a_postcode_that_is_not_norwegian_is_refused(world, log_in_as):
    client = log_in_as(world.manager)
    response = client.post(
        _url("addresses", world.company),
        {"recipient": "A", "street": "B 1", "postcode": "SE-11122", "city": "Stockholm"},
    )
    assert response.status_code == 400
    assert "Et postnummer har 4 sifre." in response.content.decode()


def _ordered_line(client, world):
    _place(
        client,
        world,
        holders=[],
        new=[
            {
                "national_id": national_id_for(dt.date(1991, 3, 4), 3),
                "given_name": "Nina",
                "family_name": "Ny",
            }
        ],
    )
    client.post(
        _url("order_review", world.company),
        {"key": client.get(_url("order_review", world.company)).context["key"], **CONTACT},
    )
    line = OrderLine.objects.get()
    page = client.get(_url("order", world.company, line.order_id)).content.decode()
    token = re.search(r"/opplasting/([^/<\s]+)/", page).group(1)
    return line, token


def _files(**over):
    files = {
        "photo": SimpleUploadedFile("p.jpg", jpeg(), content_type="image/jpeg"),
        "document_kind": "passport",
        "document_front": SimpleUploadedFile("d.jpg", jpeg(1000, 700), content_type="image/jpeg"),
    }
    files.update(over)
    return files


def test_the_orderer_uploads_photo_and_id_and_the_card_awaits_verification(world, log_in_as):
    client = log_in_as(world.manager)
    line, _token = _ordered_line(client, world)
    url = _url("order_line_documents", world.company, line.order_id, line.pk)
    refused = client.post(url, _files(photo=SimpleUploadedFile("p.jpg", gif())))
    assert refused.status_code == 400
    assert "Bare JPEG- og PNG-bilder godtas." in refused.content.decode()
    assert Card.objects.get().state == CardState.AWAITING_DOCUMENTS
    assert client.post(url, _files()).status_code == 302
    assert Card.objects.get().state == CardState.AWAITING_VERIFICATION


def test_the_employee_link_asks_for_the_birth_date_then_takes_the_uploads(world, log_in_as, client):
    manager = log_in_as(world.manager)
    _line, token = _ordered_line(manager, world)
    manager.logout()
    url = reverse("portal:upload", args=[token])
    page = client.get(url)
    assert page.status_code == 200
    assert "Acme Bygg AS" in page.content.decode()
    wrong = client.post(url, {"birth_date": "2000-01-01"})
    assert wrong.status_code == 400 and "stemmer ikke" in wrong.content.decode()
    assert client.post(url, {"birth_date": "1991-03-04"}).status_code == 302
    assert client.post(url, _files()).status_code == 200
    assert Card.objects.get().state == CardState.AWAITING_VERIFICATION
    assert client.get(url).status_code == 410


def test_unknown_tampered_and_locked_links_answer_404_and_410(world, log_in_as, client):
    manager = log_in_as(world.manager)
    _line, token = _ordered_line(manager, world)
    manager.logout()
    assert client.get(reverse("portal:upload", args=["nope"])).status_code == 404
    assert client.get(reverse("portal:upload", args=[token[:-3] + "abc"])).status_code == 404
    url = reverse("portal:upload", args=[token])
    for _ in range(5):
        client.post(url, {"birth_date": "2000-01-01"})
    locked = client.get(url)
    assert locked.status_code == 410 and "låst" in locked.content.decode()
    assert UploadLink.objects.get().locked_at is not None


def test_a_lost_card_is_blocked_at_once_and_replaced_in_one_step(world, log_in_as):
    card = CardFactory(company=world.company, holder=world.employee)
    client = log_in_as(world.manager)
    page = client.get(_url("card", world.company, card.number))
    assert page.status_code == 200
    form_key = page.context["form"]["key"].value()
    data = {"report": "lost", "delivery_address": world.address.pk, "key": form_key, **CONTACT}
    first = client.post(_url("card_report", world.company, card.number), data)
    second = client.post(_url("card_report", world.company, card.number), data)
    assert first.status_code == second.status_code == 302
    card.refresh_from_db()
    assert card.state == CardState.LOST and not card.valid
    assert Card.objects.filter(replaces=card).count() == 1
    assert Order.objects.filter(kind="replacement").count() == 1


def test_a_lost_card_report_without_an_e_mail_address_is_refused_and_changes_nothing(
    world, log_in_as
):
    card = CardFactory(company=world.company, holder=world.employee)
    client = log_in_as(world.manager)
    page = client.get(_url("card", world.company, card.number))
    assert page.context["form"]["orderer_email"].value() == ""  # never ordered, no alert address

    response = client.post(
        _url("card_report", world.company, card.number),
        {
            "report": "stolen",
            "delivery_address": world.address.pk,
            "key": key(),
            "orderer_email": "",
            "orderer_language": "nb",
        },
    )

    assert response.status_code == 400
    text = response.content.decode()
    assert "Oppgi e-postadressen din" in text and 'aria-invalid="true"' in text
    card.refresh_from_db()
    assert card.state == CardState.ISSUED
    assert not Order.objects.filter(kind="replacement").exists()


def _lost_with_refused_replacement(world, client):
    """A card reported lost on its page, whose replacement the issuer then refused."""
    card = CardFactory(company=world.company, holder=world.employee)
    form_key = client.get(_url("card", world.company, card.number)).context["form"]["key"].value()
    data = {"report": "lost", "delivery_address": world.address.pk, "key": form_key, **CONTACT}
    client.post(_url("card_report", world.company, card.number), data)
    cards.card_reject(
        card=Card.objects.get(replaces=card), actor=Actor.staff("test"), note="photo unclear"
    )
    return card


def test_a_lost_card_whose_replacement_was_refused_offers_a_new_one_with_its_price(
    world, log_in_as
):
    client = log_in_as(world.manager)
    card = _lost_with_refused_replacement(world, client)

    page = client.get(_url("card", world.company, card.number))

    text = page.content.decode()
    assert "ble kansellert eller avvist" in text
    assert "Bestill nytt kort" in text
    assert "104,00" in text and "130,00" in text
    assert _url("card_replace", world.company, card.number) in text


def test_ordering_a_new_card_for_a_lost_card_twice_makes_one_order(world, log_in_as):
    client = log_in_as(world.manager)
    card = _lost_with_refused_replacement(world, client)
    form_key = client.get(_url("card", world.company, card.number)).context["form"]["key"].value()
    data = {"delivery_address": world.address.pk, "key": form_key, **CONTACT}

    first = client.post(_url("card_replace", world.company, card.number), data)
    second = client.post(_url("card_replace", world.company, card.number), data)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    new = Card.objects.filter(replaces=card).exclude(state=CardState.REJECTED).get()
    order = Order.objects.filter(kind="replacement").latest("pk")
    assert order.lines.get().card == new
    assert Order.objects.filter(kind="replacement").count() == 2
    shown = client.get(first["Location"]).content.decode()
    assert "Et nytt kort er bestilt i stedet for kort" in shown


def test_a_new_card_for_a_lost_card_needs_a_delivery_address(world, log_in_as):
    client = log_in_as(world.manager)
    card = _lost_with_refused_replacement(world, client)

    response = client.post(
        _url("card_replace", world.company, card.number),
        {"key": key(), "delivery_address": "", **CONTACT},
    )

    assert response.status_code == 400
    assert "Velg en leveringsadresse" in response.content.decode()
    assert not Card.objects.filter(replaces=card).exclude(state=CardState.REJECTED).exists()


def test_a_lost_card_whose_replacement_is_on_its_way_offers_no_second_one(world, log_in_as):
    card = CardFactory(company=world.company, holder=world.employee)
    client = log_in_as(world.manager)
    form_key = client.get(_url("card", world.company, card.number)).context["form"]["key"].value()
    data = {"report": "lost", "delivery_address": world.address.pk, "key": form_key, **CONTACT}
    client.post(_url("card_report", world.company, card.number), data)

    page = client.get(_url("card", world.company, card.number)).content.decode()
    refused = client.post(
        _url("card_replace", world.company, card.number),
        {"key": key(), "delivery_address": world.address.pk, **CONTACT},
    )

    assert _url("card_replace", world.company, card.number) not in page
    assert refused.status_code == 400
    assert "er allerede bestilt" in refused.content.decode()
    assert Card.objects.filter(replaces=card).count() == 1


def test_a_worker_without_a_company_sees_their_own_cards(world, log_in_as):
    CardFactory(company=world.company, holder=world.employee)
    client = log_in_as(world.employee)
    assert client.get(reverse("portal:companies"))["Location"] == reverse("portal:my_cards")
    page = client.get(reverse("portal:my_cards")).content.decode()
    assert "Acme Bygg AS" in page and "Gyldig" in page


def test_ending_the_employment_blocks_the_card(world, log_in_as):
    card = CardFactory(company=world.company, holder=world.employee)
    client = log_in_as(world.manager)
    response = client.post(_url("card_employment_ended", world.company, card.number))
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.state == CardState.BLOCKED and not card.valid
    assert "card_blocked" in card.reasons


def test_construction_cards_of_a_company_turned_cleaning_company_are_flagged(world, log_in_as):
    from hmskort.cards.models import CardType

    CardFactory(company=world.company, holder=world.employee)
    world.company.card_type = CardType.objects.get(code="cleaning")
    world.company.save()
    page = log_in_as(world.manager).get(_url("company_cards", world.company)).content.decode()
    assert "Feil korttype" in page and "Bestill renholdskort" in page


@pytest.fixture(autouse=True)
def _in_bokmal():
    """These tests read Norwegian pages and reverse Norwegian URLs, whatever an earlier test
    left active."""
    from django.utils import translation

    with translation.override("nb"):
        yield
