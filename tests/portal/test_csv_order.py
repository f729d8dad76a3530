"""CSV bulk ordering: a report per row before anything is created, then one order."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hmskort.cards.models import Card
from hmskort.orders.models import Order
from tests.factories import CardFactory, national_id_for

pytestmark = pytest.mark.django_db


def _post(client, world, text: str):
    return client.post(
        reverse("portal:order_csv", args=[world.company.orgnr]),
        {
            "file": SimpleUploadedFile("people.csv", text.encode(), content_type="text/csv"),
            "delivery_address": world.address.pk,
        },
    )


def test_every_bad_row_is_reported_and_nothing_is_created(world, log_in_as):
    CardFactory(company=world.company, holder=world.employee)
    good = national_id_for(dt.date(1988, 8, 8), 1)
    text = (
        "fødselsnummer;navn;e-post\n"
        f"{good};Anne Andersen;anne@example.com\n"
        "12345678901;Feil Nummer;\n"
        f"{good};Anne Igjen;\n"
        f"{world.employee.national_id};Ola Arbeider;\n"
        f"{national_id_for(dt.date(1989, 9, 9), 2)};Bare;ikke-epost\n"
    )
    response = _post(log_in_as(world.manager), world, text)
    assert response.status_code == 400
    page = response.content.decode()
    assert "4 av 5 rader har feil" in page
    assert "Linje 3" in page and "ikke et gyldig fødselsnummer" in page
    assert "Samme person som på linje 2." in page
    assert "Har allerede et aktivt kort av denne typen" in page
    assert "E-postadressen er ikke gyldig." in page and "Skriv inn fornavn og etternavn." in page
    assert not Order.objects.exists() and Card.objects.count() == 1


def test_a_clean_file_goes_to_the_summary_and_becomes_one_order(world, log_in_as):
    client = log_in_as(world.manager)
    rows = [f"{national_id_for(dt.date(1990, 1, 2), i)},Person Nummer{i}" for i in range(1, 4)]
    response = _post(client, world, "\n".join(rows))
    assert response["Location"] == reverse("portal:order_review", args=[world.company.orgnr])
    review = client.get(response["Location"])
    assert "312,00" in review.content.decode()
    client.post(
        response["Location"],
        {
            "key": review.context["key"],
            "orderer_email": "siri@acme.example",
            "orderer_language": "nb",
        },
    )
    order = Order.objects.get()
    assert order.lines.count() == 3
    assert order.orderer_email == "siri@acme.example"


def test_a_file_that_is_not_text_is_refused_with_a_message(world, log_in_as):
    client = log_in_as(world.manager)
    response = client.post(
        reverse("portal:order_csv", args=[world.company.orgnr]),
        {
            "file": SimpleUploadedFile("x.csv", b"\xff\xfe\x00bad", content_type="text/csv"),
            "delivery_address": world.address.pk,
        },
    )
    assert response.status_code == 400
    assert "UTF-8" in response.content.decode()


def test_the_check_of_5000_rows_takes_a_fixed_number_of_queries(
    world, django_assert_max_num_queries
):
    from hmskort.orders.bulk import check_rows, parse_csv

    born = [dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28) for i in range(5000)]
    text = "\n".join(f"{national_id_for(b, i // 480)},Person Nummer{i}" for i, b in enumerate(born))
    rows = parse_csv(text.encode())
    with django_assert_max_num_queries(3):
        check_rows(world.company, world.company.card_type, rows)
    assert len(rows) == 5000


@pytest.fixture(autouse=True)
def _in_bokmal():
    """These tests read Norwegian pages and reverse Norwegian URLs, whatever an earlier test
    left active."""
    from django.utils import translation

    with translation.override("nb"):
        yield
