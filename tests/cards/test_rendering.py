"""The printed card: exactly ID-1, fonts embedded (æøå), and a QR code that opens the card's check."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import urlsplit

import pypdf
import pytest
import zxingcpp
from django.test import override_settings
from PIL import Image

from hmskort.cards.models import CardState
from hmskort.cards.numbers import format_card_number
from hmskort.cards.rendering import (
    CARD_HEIGHT_MM,
    CARD_WIDTH_MM,
    check_url,
    pdf_page_png,
    render_card_png,
    render_cards_pdf,
)
from tests.factories import CardFactory

pytestmark = pytest.mark.django_db

MM_TO_PT = 72 / 25.4


def decode_qr(png: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


@pytest.fixture
def card():
    return CardFactory(
        holder__given_name="Bjørn Ærlig",
        holder__family_name="Øvrebø-Łukasiewicz",
        holder__birth_date=dt.date(1985, 3, 4),
        company__name="Demo Bygg Østlandet AS",
        issued_on=dt.date(2026, 11, 30),
        expires_on=dt.date(2028, 11, 30),
    )


def test_every_page_is_exactly_id_1_and_each_card_has_a_front_and_a_back(card):
    other = CardFactory()

    reader = pypdf.PdfReader(io.BytesIO(render_cards_pdf([card, other])))

    assert len(reader.pages) == 4
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(CARD_WIDTH_MM * MM_TO_PT, abs=0.01)
        assert float(page.mediabox.height) == pytest.approx(CARD_HEIGHT_MM * MM_TO_PT, abs=0.01)


def test_the_front_shows_what_the_regulations_require_with_norwegian_letters(card):
    reader = pypdf.PdfReader(io.BytesIO(render_cards_pdf([card])))

    front = reader.pages[0].extract_text()
    back = reader.pages[1].extract_text()

    for text in (
        "Bjørn Ærlig Øvrebø-Łukasiewicz",
        "04.03.1985",
        "Demo Bygg Østlandet AS",
        card.company.orgnr[:3],
        "HMS-kort for bygg og anlegg",
        "HSE card for building and construction",
        "30.11.2026",
        "30.11.2028",
        format_card_number(card.number),
    ):
        assert text in front, text
    assert "FOR-2007-03-30-366" in back
    assert "skal bæres synlig" in back and "must be worn visibly" in back


def test_the_fonts_are_embedded_in_the_pdf(card):
    reader = pypdf.PdfReader(io.BytesIO(render_cards_pdf([card])))

    fonts = reader.pages[0]["/Resources"]["/Font"]
    descriptors = [f.get_object()["/DescendantFonts"][0].get_object() for f in fonts.values()]

    assert descriptors
    assert all("/FontFile2" in d["/FontDescriptor"] for d in descriptors)


@override_settings(HMSKORT_BASE_URL="https://hmskort.example.no")
def test_the_qr_code_decodes_to_the_cards_check_url_which_answers_with_that_card(card, client):
    pdf = render_cards_pdf([card])

    decoded = decode_qr(pdf_page_png(pdf, 0, dpi=300))

    assert decoded == [check_url(card)]
    assert decoded[0] == f"https://hmskort.example.no/sjekk/{card.qr_token}/"
    page = client.get(urlsplit(decoded[0]).path)
    assert page.status_code == 200
    assert format_card_number(card.number) in page.content.decode()


def test_a_card_not_yet_issued_prints_the_issue_date_its_batch_gives_and_the_expiry_after_it():
    card = CardFactory(state=CardState.IN_PRODUCTION, issued_on=None, expires_on=None)

    pdf = render_cards_pdf([card], issued_on=dt.date(2026, 12, 1))

    front = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "01.12.2026" in front and "01.12.2028" in front


def test_the_png_preview_is_the_front_at_id_1_proportions_and_its_qr_code_decodes(card):
    png = render_card_png(card, dpi=200)

    image = Image.open(io.BytesIO(png))
    assert image.width == pytest.approx(CARD_WIDTH_MM / 25.4 * 200, abs=2)
    assert image.height == pytest.approx(CARD_HEIGHT_MM / 25.4 * 200, abs=2)
    assert decode_qr(png) == [check_url(card)]


def test_a_photo_is_printed_on_the_front(card):
    photo = io.BytesIO()
    Image.new("RGB", (300, 400), (200, 30, 30)).save(photo, format="JPEG")

    png = render_card_png(card, photo=lambda c: photo.getvalue(), dpi=100)

    image = Image.open(io.BytesIO(png)).convert("RGB")
    # The middle of the photo frame (3.5 + 10 mm across, 13 + 13 mm down) is the photo's red.
    x, y = round(13.5 / 25.4 * 100), round(26 / 25.4 * 100)
    red, green, blue = image.getpixel((x, y))
    assert red > 150 and green < 90 and blue < 90
