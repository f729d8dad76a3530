"""The public card check page and the QR landing, in bokmål and English."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from hmskort.cards.models import CardState
from hmskort.cards.numbers import format_card_number
from tests.factories import CardFactory

pytestmark = pytest.mark.django_db


def _mistyped(number: str) -> str:
    last = (int(number[-1]) + 1) % 10
    return number[:-1] + str(last)


def test_check_page_shows_a_valid_card_with_holder_employer_and_expiry_in_norwegian(client):
    card = CardFactory(
        holder__given_name="Kari", holder__family_name="Nordmann", company__orgnr="974760673"
    )
    response = client.get("/sjekk/", {"number": format_card_number(card.number)})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Gyldig" in html
    assert "Kari Nordmann" in html
    assert card.company.name in html
    assert "974 760 673" in html
    assert card.expires_on.strftime("%d.%m.%Y") in html  # 31.10.2028, 01.03.2030
    assert "HMS-kort for bygg og anlegg" in html or card.card_type.name_nb in html


def test_check_page_in_english_says_not_valid_without_reasons_id_number_or_birth_date(client):
    card = CardFactory(valid=False, reasons=["employment_ended"])
    response = client.get("/en/check/", {"number": card.number})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Not valid" in html
    # No reason: neither its code nor the text the portal shows for it.
    assert "employment_ended" not in html
    assert "Employment ended" not in html
    assert "employment" not in html.lower()
    # No national ID number, whole or masked, and no birth date in any format.
    assert card.holder.national_id not in html
    assert card.holder.national_id[:6] not in html
    assert card.holder.national_id[-4:] not in html
    birth = card.holder.birth_date
    for shown in (
        birth.isoformat(),
        birth.strftime("%-d.%-m.%Y"),
        birth.strftime("%d.%m.%Y"),
        birth.strftime("%-d %b %Y"),
    ):
        assert shown not in html
    assert card.card_type.name_en in html


def test_a_typo_caught_by_the_check_digit_gets_a_clear_message(client):
    card = CardFactory()
    html = client.get("/en/check/", {"number": _mistyped(card.number)}).content.decode()
    assert "one digit is probably mistyped" in html
    assert card.holder.full_name not in html
    html_nb = client.get("/sjekk/", {"number": _mistyped(card.number)}).content.decode()
    assert "feilskrevet" in html_nb


def test_a_number_of_the_wrong_length_is_explained(client):
    html = client.get("/en/check/", {"number": "1234"}).content.decode()
    assert "A card number has 12 digits" in html


def test_an_unknown_well_formed_number_says_no_card_has_it(client):
    from hmskort.cards.numbers import new_card_number

    html = client.get("/en/check/", {"number": new_card_number()}).content.decode()
    assert "No card has the number" in html


def test_the_empty_page_shows_the_form(client):
    response = client.get(reverse("checks:check"))
    assert response.status_code == 200
    assert 'name="number"' in response.content.decode()


def test_htmx_request_gets_only_the_result_fragment(client):
    card = CardFactory()
    response = client.get("/sjekk/", {"number": card.number}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "Gyldig" in html
    assert "<html" not in html


def test_qr_landing_shows_the_card_and_says_no_photo_is_on_file(client):
    card = CardFactory(holder__given_name="Ola", holder__family_name="Hansen")
    with translation.override("en"):
        url = reverse("checks:qr", args=[card.qr_token])
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ola Hansen" in html
    assert "Valid" in html
    assert "No photo on file" in html
    assert response["Referrer-Policy"] == "no-referrer"
    nb = client.get(f"/sjekk/{card.qr_token}/").content.decode()
    assert "Ingen bilde" in nb


@pytest.mark.parametrize(
    ("state", "text"),
    [
        (CardState.REPLACED, "This card has been replaced by a newer card"),
        (CardState.BLOCKED, "This card is blocked"),
        (CardState.STOLEN, "This card has been reported stolen"),
    ],
)
def test_qr_token_of_a_replaced_or_blocked_card_says_so(client, state, text):
    card = CardFactory(state=state, valid=False)
    html = client.get(f"/en/check/{card.qr_token}/").content.decode()
    assert text in html
    assert "Not valid" in html


def test_unknown_qr_token_warns_of_a_possible_forgery(client):
    response = client.get("/en/check/thisTokenDoesNotExist_abcdefghijk/")
    assert response.status_code == 404
    assert "does not belong to any HSE card" in response.content.decode()


@time_machine.travel(dt.datetime(2026, 6, 15, 10, 20, 45, tzinfo=dt.UTC), tick=False)
def test_anonymous_page_checks_are_rate_limited_per_ip_with_retry_after(client, settings):
    settings.HMSKORT_CHECK_RATE_PER_MINUTE = 3
    card = CardFactory()
    for _ in range(3):
        assert client.get("/sjekk/", {"number": card.number}).status_code == 200
    response = client.get("/sjekk/", {"number": card.number})
    assert response.status_code == 429
    assert response["Retry-After"] == "15"
    assert "For mange" in response.content.decode()
    # Another address is not affected.
    other = client.get("/sjekk/", {"number": card.number}, REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 200
