"""Print-ready cards: a PDF page per card side at exactly ID-1 size, and a PNG preview.

Front (§ 7 construction, § 12 cleaning; labels in Norwegian and English): the card type in its
colour, the issuer, the holder's photo, name and date of birth, the employer (main unit) and its
organisation number, issue and expiry dates, the card number, and a QR code that opens the
card's live status check (`HMSKORT_BASE_URL` + the QR landing). Back: what the regulations
require the holder and employer to know, in Norwegian and English.

The fonts (Inter, the site's own, self-hosted) are embedded, so æøå print as they should. The QR
code is drawn as vector squares, sharp at any printer resolution.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import translation
from fpdf import FPDF

from hmskort.identifiers import format_orgnr

from .models import Card
from .numbers import format_card_number

# ISO/IEC 7810 ID-1, in millimetres.
CARD_WIDTH_MM = 85.60
CARD_HEIGHT_MM = 53.98

# Inter comes in subsets: Latin (with æøå) first, Latin Extended (ł, ś, ė, …) as the fallback
# for names from elsewhere in Europe.
FONT = _FONT = "Inter"
FONT_EXT = _FONT_EXT = "InterExt"
_FONT_FILES = {
    (_FONT, ""): "vendor/inter/files/inter-latin-400-normal.woff",
    (_FONT, "B"): "vendor/inter/files/inter-latin-700-normal.woff",
    (_FONT_EXT, ""): "vendor/inter/files/inter-latin-ext-400-normal.woff",
    (_FONT_EXT, "B"): "vendor/inter/files/inter-latin-ext-700-normal.woff",
}
FONT_FAMILIES = tuple(_FONT_FILES)

PhotoSource = Callable[[Card], bytes | None]


class FontMissing(RuntimeError):
    """The card font is not installed (`make install` puts it under node_modules)."""


@cache
def font_path(family: str, style: str) -> str:
    """The file of one of the card fonts (also used for packing lists)."""
    path = finders.find(_FONT_FILES[family, style])
    if not path:
        raise FontMissing(f"card font not found: {_FONT_FILES[family, style]} (run make install)")
    return str(path)


def check_url(card: Card) -> str:
    """The URL the card's QR code opens: the public QR landing with the card's token."""
    with translation.override(settings.LANGUAGE_CODE):
        path = reverse("checks:qr", args=[card.qr_token])
    return settings.HMSKORT_BASE_URL + path


def _date(day: dt.date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else "\u2013"


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    try:
        return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
    except (ValueError, IndexError):
        return 30, 75, 140


@dataclass(frozen=True)
class CardFace:
    """What is printed on one card, in plain values (so a batch can fix the issue date)."""

    number: str
    holder_name: str
    birth_date: dt.date | None
    employer_name: str
    employer_orgnr: str
    card_type_nb: str
    card_type_en: str
    regulation: str
    colour: str
    issued_on: dt.date | None
    expires_on: dt.date | None
    issuer: str
    url: str
    photo: bytes | None = None


def face_for(
    card: Card, *, issued_on: dt.date | None = None, photo: bytes | None = None
) -> CardFace:
    """The printed values of a card. `issued_on` sets the issue date of a card not yet issued
    (a production batch prints the date its shipping will issue the card on)."""
    from .services import expiry_for

    issued = card.issued_on or issued_on
    expires = card.expires_on or (expiry_for(issued) if issued else None)
    company = card.company
    return CardFace(
        number=card.number,
        holder_name=card.holder.full_name,
        birth_date=card.holder.birth_date,
        employer_name=company.name,
        employer_orgnr=company.orgnr,
        card_type_nb=card.card_type.name_nb,
        card_type_en=card.card_type.name_en,
        regulation=card.card_type.regulation,
        colour=card.card_type.colour,
        issued_on=issued,
        expires_on=expires,
        issuer=settings.HMSKORT_ISSUER_NAME,
        url=check_url(card),
        photo=photo,
    )


class _CardPdf(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="L", unit="mm", format=(CARD_HEIGHT_MM, CARD_WIDTH_MM))
        self.set_auto_page_break(False)
        self.set_margins(0, 0, 0)
        self.set_creator("hmskort")
        for family, style in _FONT_FILES:
            self.add_font(family, style, font_path(family, style))
        self.set_fallback_fonts([_FONT_EXT])
        self.set_font(_FONT, "", 7)

    # -- helpers ------------------------------------------------------------------------------

    def fit_text(
        self, x: float, y: float, width: float, text: str, size: float, style: str = ""
    ) -> None:
        """Write text on one line at (x, y), shrinking it (down to 5 pt) and then cutting it
        with an ellipsis so it never runs past `width`."""
        self.set_font(_FONT, style, size)
        while size > 5 and self.get_string_width(text) > width:
            size -= 0.25
            self.set_font(_FONT, style, size)
        if self.get_string_width(text) > width:
            while text and self.get_string_width(text + "…") > width:
                text = text[:-1]
            text += "…"
        self.baseline_text(x, y, text)

    def baseline_text(self, x: float, y: float, text: str) -> None:
        """Text with its baseline at y, through cell() so the fallback font (ł, ś, …) applies."""
        height = self.font_size  # in mm
        self.set_xy(x, y - height * 0.85)
        self.cell(text=text, h=height, new_x="LMARGIN", new_y="TOP")

    def label(self, x: float, y: float, text: str) -> None:
        self.set_text_color(90, 90, 90)
        self.set_font(_FONT, "", 4.2)
        self.baseline_text(x, y, text)
        self.set_text_color(0, 0, 0)

    def qr(self, x: float, y: float, size: float, data: str) -> None:
        """The QR code as vector squares (runs of dark modules merged per row), quiet zone
        included in `size`."""
        code = segno.make(data, error="m", micro=False)
        rows = list(code.matrix)
        border = 2  # modules of quiet zone on each side (white card background)
        module = size / (len(rows) + 2 * border)
        self.set_fill_color(255, 255, 255)
        self.rect(x, y, size, size, style="F")
        self.set_fill_color(0, 0, 0)
        for r, row in enumerate(rows):
            c = 0
            while c < len(row):
                if row[c]:
                    start = c
                    while c < len(row) and row[c]:
                        c += 1
                    self.rect(
                        x + (border + start) * module,
                        y + (border + r) * module,
                        (c - start) * module,
                        module,
                        style="F",
                    )
                else:
                    c += 1

    # -- the two sides ------------------------------------------------------------------------

    def front(self, face: CardFace) -> None:
        self.add_page()
        red, green, blue = _rgb(face.colour)
        # The card type's band.
        self.set_fill_color(red, green, blue)
        self.rect(0, 0, CARD_WIDTH_MM, 10.5, style="F")
        self.set_text_color(255, 255, 255)
        self.fit_text(3.5, 4.6, 55, face.card_type_nb, 7.2, "B")
        self.fit_text(3.5, 8.4, 55, face.card_type_en, 5.4)
        self.set_font(_FONT, "B", 6.5)
        self.baseline_text(CARD_WIDTH_MM - 3.5 - self.get_string_width("HMS-KORT"), 4.6, "HMS-KORT")
        self.fit_text(60, 8.4, 22, face.issuer, 4.8)
        self.set_text_color(0, 0, 0)

        # Photo, 3:4 (or a marked empty frame when no photo is given).
        px, py, pw, ph = 3.5, 13.0, 20.0, 26.7
        if face.photo:
            self.image(io.BytesIO(face.photo), x=px, y=py, w=pw, h=ph, keep_aspect_ratio=True)
        else:
            self.set_draw_color(160, 160, 160)
            self.rect(px, py, pw, ph)
            self.label(px + 2, py + ph / 2, "Foto / Photo")
        self.set_draw_color(0, 0, 0)

        # Holder and employer.
        tx, tw = 26.5, 37.0
        self.label(tx, 14.6, "Navn / Name")
        self.fit_text(tx, 18.0, tw, face.holder_name, 8, "B")
        self.label(tx, 21.6, "Fødselsdato / Date of birth")
        self.fit_text(tx, 24.6, tw, _date(face.birth_date), 7)
        self.label(tx, 28.2, "Arbeidsgiver / Employer")
        self.fit_text(tx, 31.4, tw, face.employer_name, 7, "B")
        self.label(tx, 34.8, "Org.nr. / Org. no.")
        self.fit_text(tx, 37.8, tw, format_orgnr(face.employer_orgnr), 7)

        # QR code to the live check, top right under the band.
        self.qr(CARD_WIDTH_MM - 3.0 - 17.0, 12.0, 17.0, face.url)
        self.label(CARD_WIDTH_MM - 19.2, 31.6, "Sjekk / Check")

        # Bottom row: card number, issue and expiry dates.
        self.set_draw_color(red, green, blue)
        self.line(3.5, 42.5, CARD_WIDTH_MM - 3.5, 42.5)
        self.set_draw_color(0, 0, 0)
        self.label(3.5, 45.6, "Kortnr. / Card no.")
        self.fit_text(3.5, 49.6, 30, format_card_number(face.number), 7.5, "B")
        self.label(38.0, 45.6, "Utstedt / Issued")
        self.fit_text(38.0, 49.6, 20, _date(face.issued_on), 7)
        self.label(60.0, 45.6, "Gyldig til / Expires")
        self.fit_text(60.0, 49.6, 22, _date(face.expires_on), 7, "B")

    def back(self, face: CardFace) -> None:
        self.add_page()
        red, green, blue = _rgb(face.colour)
        self.set_fill_color(red, green, blue)
        self.rect(0, CARD_HEIGHT_MM - 4, CARD_WIDTH_MM, 4, style="F")
        x, width = 4.0, CARD_WIDTH_MM - 8.0
        self.set_xy(x, 4.0)
        self.set_font(_FONT, "B", 5.6)
        self.multi_cell(width, 2.7, _back_heading_nb(face), align="L")
        self.set_x(x)
        self.set_font(_FONT, "", 5.0)
        self.multi_cell(width, 2.4, _back_text_nb(face), align="L")
        self.ln(1.4)
        self.set_x(x)
        self.set_font(_FONT, "B", 5.6)
        self.multi_cell(width, 2.7, _back_heading_en(face), align="L")
        self.set_x(x)
        self.set_font(_FONT, "", 5.0)
        self.multi_cell(width, 2.4, _back_text_en(face), align="L")
        self.set_font(_FONT, "", 4.6)
        self.baseline_text(x, CARD_HEIGHT_MM - 5.6, f"{face.issuer} · {settings.HMSKORT_BASE_URL}")


def _back_heading_nb(face: CardFace) -> str:
    return f"{face.card_type_nb} ({face.regulation})"


def _back_heading_en(face: CardFace) -> str:
    return f"{face.card_type_en} ({face.regulation})"


def _back_text_nb(face: CardFace) -> str:
    return (
        "Kortet er personlig og skal bæres synlig på arbeidsplassen. Det tilhører arbeidsgiveren "
        "og gjelder bare så lenge arbeidsforholdet varer og alle registreringsplikter er oppfylt. "
        "Tap eller tyveri meldes straks til arbeidsgiveren, som melder det til utstederen. "
        "Sjekk om kortet er gyldig med QR-koden."
    )


def _back_text_en(face: CardFace) -> str:
    return (
        "This card is personal and must be worn visibly at the workplace. It belongs to the "
        "employer and is valid only while the employment lasts and every registration duty is "
        "met. Report loss or theft to the employer at once, who reports it to the issuer. "
        "Check the card's validity with the QR code."
    )


def render_faces_pdf(faces: Iterable[CardFace]) -> bytes:
    """A print-ready PDF: for each card its front page, then its back page."""
    pdf = _CardPdf()
    for face in faces:
        pdf.front(face)
        pdf.back(face)
    return bytes(pdf.output())


def render_cards_pdf(
    cards: Sequence[Card],
    *,
    issued_on: dt.date | None = None,
    photo: PhotoSource | None = None,
) -> bytes:
    """The print-ready PDF of these cards (front and back of each, in this order)."""
    return render_faces_pdf(
        face_for(c, issued_on=issued_on, photo=photo(c) if photo else None) for c in cards
    )


def render_card_png(
    card: Card,
    *,
    issued_on: dt.date | None = None,
    photo: PhotoSource | None = None,
    dpi: int = 300,
) -> bytes:
    """A PNG preview of the card's front, rasterised from the very PDF that is printed."""
    pdf = render_cards_pdf([card], issued_on=issued_on, photo=photo)
    return pdf_page_png(pdf, 0, dpi=dpi)


def pdf_page_png(pdf: bytes, index: int, *, dpi: int = 300) -> bytes:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[index].render(scale=dpi / 72).to_pil()
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
