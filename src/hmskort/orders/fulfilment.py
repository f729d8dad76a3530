"""The issuer's work on ordered cards: verify photo and photo ID, produce in batches, ship.

Verification: a card waiting for verification is approved, or rejected with a reason from a
list plus a text; either way the photo ID's images are deleted from storage once the decision
is committed (the decision stays: who, when, which document type). A rejection sends the card
back to "awaiting photo and photo ID" and tells the orderer what to fix, in the order's history
and by e-mail to the orderer's address in the orderer's language (`Order.orderer_email`,
`orderer_language`; an order placed before the portal asked for them falls back to the address
and language the upload link went to).

Production: approved cards are gathered into a batch (the cards go "in production"); the batch
renders one print-ready PDF (cards.rendering), a CSV manifest for the card printer and a PNG
preview per card. A batch is marked produced, then shipped — one shipment per delivery address,
with a packing list — which issues its cards with the batch's issue date (the date printed on
them), then delivered. Shipping e-mails each order's orderer which cards went where.

The e-mails go through the job queue (`orders.tasks`), queued when the decision or the shipping
commits: a rolled-back transaction sends nothing, and a batch of many orders sends no mail in
the request.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hmskort.audit.services import Actor, record
from hmskort.cards import rendering
from hmskort.cards import services as cards
from hmskort.cards.models import Card, CardState
from hmskort.people import services as people

from .fulfilment_models import BatchItem, ProductionBatch, Shipment, VerificationDecision
from .models import Order, OrderLine

log = logging.getLogger(__name__)
S = CardState

# Why photo or photo ID is refused (what the orderer must fix), in both languages.
REJECTION_REASONS = {
    "photo_quality": gettext_lazy(
        "The photo does not meet the rules: face and ears visible, no glasses, light plain "
        "background, sharp and well lit."
    ),
    "photo_mismatch": gettext_lazy("The photo does not show the person on the photo ID."),
    "id_unreadable": gettext_lazy("The photo ID cannot be read: send a sharp image of it."),
    "id_not_accepted": gettext_lazy(
        "This kind of photo ID is not accepted (for example an emergency passport)."
    ),
    "id_expired": gettext_lazy("The photo ID has expired."),
    "name_or_birth_date": gettext_lazy(
        "The name or the date of birth on the photo ID does not match the order."
    ),
    "other": gettext_lazy("Something else: see the note."),
}


class FulfilmentRefused(ValidationError):
    """The card or batch is not in a state that allows this step."""


# --- Verification ------------------------------------------------------------------------------


def verification_queue() -> QuerySet[OrderLine]:
    """Order lines whose card waits for verification, oldest order first."""
    return (
        OrderLine.objects.filter(card__state=S.AWAITING_VERIFICATION, cancelled_at__isnull=True)
        .select_related(
            "order__company", "order__card_type", "card", "holder", "photo", "identity_document"
        )
        .order_by("order__placed_at", "pk")
    )


def line_for_verification(line_id: int) -> OrderLine | None:
    return verification_queue().filter(pk=line_id).first()


def _lock_waiting_line(line: OrderLine) -> tuple[OrderLine, Card]:
    line = (
        OrderLine.objects.select_for_update(of=("self",))
        .select_related("order__company", "identity_document", "holder")
        .get(pk=line.pk)
    )
    card = Card.objects.select_for_update().get(pk=line.card_id)
    if card.state != S.AWAITING_VERIFICATION or line.cancelled_at:
        raise FulfilmentRefused(
            _("This card no longer waits for verification (someone may have decided already)."),
            code="not_waiting",
        )
    return line, card


def _decide_document(line: OrderLine, staff: str, actor: Actor) -> str:
    document = line.identity_document
    if document is None:
        return ""
    people.identity_document_decided(document=document, verified_by=staff, actor=actor)
    return document.kind


@transaction.atomic
def verification_approve(*, line: OrderLine, staff: str, actor: Actor) -> VerificationDecision:
    """The photo and photo ID are in order: the card is approved for production."""
    line, card = _lock_waiting_line(line)
    kind = _decide_document(line, staff, actor)
    if line.photo is not None:
        people.photo_verified(photo=line.photo, actor=actor)
    decision = VerificationDecision.objects.create(
        line=line, approved=True, document_kind=kind, decided_by=staff
    )
    cards.card_transition(card=card, to_state=S.APPROVED, actor=actor)
    record(
        actor=actor,
        action="order.verification_approved",
        target=line,
        company=line.order.company,
        data={"line": line.pk, "card": card.pk, "document_kind": kind},
    )
    return decision


@transaction.atomic
def verification_reject(
    *, line: OrderLine, reason: str, text: str, staff: str, actor: Actor
) -> VerificationDecision:
    """Refuse the photo or photo ID: the card waits for new ones, and the orderer is told what
    to fix (order history; e-mail in the order line's language where an address is known)."""
    text = (text or "").strip()[:1000]
    if reason not in REJECTION_REASONS:
        raise ValidationError({"reason": _("Choose why the photo or photo ID is refused.")})
    if reason == "other" and not text:
        raise ValidationError({"text": _("Say what the orderer must fix.")})
    line, card = _lock_waiting_line(line)
    kind = _decide_document(line, staff, actor)
    decision = VerificationDecision.objects.create(
        line=line, approved=False, reason=reason, text=text, document_kind=kind, decided_by=staff
    )
    line.photo = None
    line.identity_document = None
    line.save(update_fields=["photo", "identity_document"])
    cards.card_transition(card=card, to_state=S.AWAITING_DOCUMENTS, actor=actor, note=reason)
    record(
        actor=actor,
        action="order.verification_rejected",
        target=line,
        company=line.order.company,
        data={"line": line.pk, "card": card.pk, "reason": reason, "note": text},
    )
    if notice_recipient(line.order, line) is not None:
        from .tasks import mail_refusal  # the tasks call this module

        transaction.on_commit(lambda: mail_refusal(decision.pk))
    return decision


def notice_recipient(order: Order, line: OrderLine | None = None) -> tuple[str, str] | None:
    """Where and in which language the issuer writes about an order: the orderer's contact; for
    an order placed before the portal asked for it, the address the line's upload link went to."""
    if order.orderer_email:
        return order.orderer_email, order.orderer_language or "nb"
    if line is not None and line.email:
        return line.email, line.language or "nb"
    return None


def _order_url(order: Order) -> str:
    from django.conf import settings
    from django.urls import reverse

    path = reverse("portal:order", kwargs={"orgnr": order.company.orgnr, "pk": order.pk})
    return f"{settings.HMSKORT_BASE_URL}{path}"


def rejection_text(reason: str, language: str | None = None) -> str:
    with translation.override(language or translation.get_language() or "nb"):
        return str(REJECTION_REASONS.get(reason, reason))


def send_refusal_notice(decision_id: int) -> None:
    """The e-mail telling the orderer what to fix (sent by the job queue, `orders.tasks`)."""
    decision = VerificationDecision.objects.select_related(
        "line__order__company", "line__holder"
    ).get(pk=decision_id)
    line = decision.line
    recipient = notice_recipient(line.order, line)
    if recipient is None:
        return
    address, language = recipient
    with translation.override(language):
        subject = _("Your HSE card: new photo or photo ID needed")
        body = _(
            "The card issuer could not approve the photo or photo ID for %(holder)s's HSE card "
            "from %(company)s.\n\nWhat to fix: %(reason)s\n%(note)s\n\nUpload new ones through "
            "the order in the HSE card service."
        ) % {
            "holder": line.holder.full_name,
            "company": line.order.company.name,
            "reason": rejection_text(decision.reason, language),
            "note": decision.text,
        }
        body += "\n" + _order_url(line.order) + "\n"
    send_mail(subject, body, None, [address])


# --- Production ----------------------------------------------------------------------------------


def lines_ready_for_production() -> QuerySet[OrderLine]:
    """Approved cards not yet in a batch, oldest order first."""
    return (
        OrderLine.objects.filter(
            card__state=S.APPROVED, cancelled_at__isnull=True, batch_item__isnull=True
        )
        .select_related("order__company", "card", "holder")
        .order_by("order__placed_at", "pk")
    )


@transaction.atomic
def batch_create(
    *,
    staff: str,
    actor: Actor,
    line_ids: Iterable[int] | None = None,
    issue_date: dt.date | None = None,
) -> ProductionBatch:
    """Gather approved cards (all, or the given lines) into a new batch: they go in production."""
    ready = lines_ready_for_production().select_for_update(of=("self",))
    if line_ids is not None:
        ready = ready.filter(pk__in=list(line_ids))
    lines = list(ready)
    if not lines:
        raise FulfilmentRefused(_("No approved cards wait for production."), code="empty")
    batch = ProductionBatch.objects.create(
        issue_date=issue_date or timezone.localdate(), created_by=staff
    )
    BatchItem.objects.bulk_create([BatchItem(batch=batch, line=line) for line in lines])
    for line in lines:
        cards.card_transition(card=line.card, to_state=S.IN_PRODUCTION, actor=actor)
    record(
        actor=actor,
        action="batch.created",
        target=batch,
        data={"cards": len(lines), "issue_date": batch.issue_date.isoformat()},
    )
    return batch


def batch_lines(batch: ProductionBatch) -> QuerySet[OrderLine]:
    return (
        OrderLine.objects.filter(batch_item__batch=batch)
        .select_related(
            "order__company", "card__card_type", "card__holder", "card__company", "holder", "photo"
        )
        .order_by("batch_item__pk")
    )


def _photo_bytes(line: OrderLine) -> bytes | None:
    if line.photo is None or not line.photo.file_name:
        return None
    try:
        with people.private_file(line.photo.file_name) as handle:
            data: bytes = handle.read()
            return data
    except OSError:
        log.warning("photo file missing for order line %s", line.pk)
        return None


def batch_pdf(batch: ProductionBatch) -> bytes:
    """The batch's print-ready PDF: front and back of every card, in manifest order."""
    lines = list(batch_lines(batch))
    photos = {line.card_id: _photo_bytes(line) for line in lines}
    return rendering.render_cards_pdf(
        [line.card for line in lines], issued_on=batch.issue_date, photo=lambda c: photos[c.pk]
    )


def card_preview_png(line: OrderLine, *, issue_date: dt.date | None = None) -> bytes:
    return rendering.render_card_png(
        line.card, issued_on=issue_date, photo=lambda c: _photo_bytes(line), dpi=200
    )


MANIFEST_COLUMNS = (
    "position",
    "front_page",
    "back_page",
    "card_number",
    "card_type",
    "holder_name",
    "birth_date",
    "employer_name",
    "employer_orgnr",
    "issued_on",
    "expires_on",
    "check_url",
    "delivery_postcode",
    "delivery_city",
)


def batch_manifest_csv(batch: ProductionBatch) -> str:
    """One row per card, in the PDF's order, for the card printer."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    for position, line in enumerate(batch_lines(batch), start=1):
        face = rendering.face_for(line.card, issued_on=batch.issue_date)
        writer.writerow(
            [
                position,
                2 * position - 1,
                2 * position,
                face.number,
                line.card.card_type.code,
                face.holder_name,
                face.birth_date.isoformat() if face.birth_date else "",
                face.employer_name,
                face.employer_orgnr,
                face.issued_on.isoformat() if face.issued_on else "",
                face.expires_on.isoformat() if face.expires_on else "",
                face.url,
                line.order.delivery_postcode,
                line.order.delivery_city,
            ]
        )
    return out.getvalue()


def _lock_batch(batch: ProductionBatch, expected: str) -> ProductionBatch:
    batch = ProductionBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != expected:
        raise FulfilmentRefused(
            _("The batch is %(status)s: this step is not possible now.")
            % {"status": str(ProductionBatch.Status(batch.status).label).lower()},
            code="batch_state",
        )
    return batch


@transaction.atomic
def batch_mark_produced(*, batch: ProductionBatch, actor: Actor) -> ProductionBatch:
    batch = _lock_batch(batch, ProductionBatch.Status.CREATED)
    batch.status = ProductionBatch.Status.PRODUCED
    batch.produced_at = timezone.now()
    batch.save(update_fields=["status", "produced_at"])
    record(actor=actor, action="batch.produced", target=batch)
    return batch


@dataclass(frozen=True)
class _Address:
    recipient: str
    attention: str
    street: str
    postcode: str
    city: str


@transaction.atomic
def batch_ship(*, batch: ProductionBatch, actor: Actor) -> list[Shipment]:
    """Ship a produced batch: one shipment per delivery address. Shipping issues each card
    (valid from the batch's issue date for two years; validity recomputed)."""
    batch = _lock_batch(batch, ProductionBatch.Status.PRODUCED)
    now = timezone.now()
    groups: dict[_Address, list[BatchItem]] = {}
    items = BatchItem.objects.filter(batch=batch).select_related("line__order", "line__card")
    for item in items.order_by("pk"):
        order = item.line.order
        address = _Address(
            order.delivery_recipient,
            order.delivery_attention,
            order.delivery_street,
            order.delivery_postcode,
            order.delivery_city,
        )
        groups.setdefault(address, []).append(item)
    shipments = []
    for address, group in groups.items():
        shipment = Shipment.objects.create(
            batch=batch,
            recipient=address.recipient,
            attention=address.attention,
            street=address.street,
            postcode=address.postcode,
            city=address.city,
            shipped_at=now,
        )
        BatchItem.objects.filter(pk__in=[i.pk for i in group]).update(shipment=shipment)
        for item in group:
            card = item.line.card
            if card.state == S.IN_PRODUCTION:
                cards.card_issue(card=card, actor=actor, issued_on=batch.issue_date)
        shipments.append(shipment)
    batch.status = ProductionBatch.Status.SHIPPED
    batch.shipped_at = now
    batch.save(update_fields=["status", "shipped_at"])
    record(actor=actor, action="batch.shipped", target=batch, data={"shipments": len(shipments)})
    shipment_ids = [shipment.pk for shipment in shipments]
    from .tasks import mail_shipping_notices  # the tasks call this module

    transaction.on_commit(lambda: mail_shipping_notices(shipment_ids))
    return shipments


def shipping_notices(shipment_ids: list[int]) -> list[tuple[int, int]]:
    """The e-mails that shipping owes: one per shipment and order, as (shipment, order)."""
    pairs = (
        BatchItem.objects.filter(shipment_id__in=shipment_ids)
        .values_list("shipment_id", "line__order_id")
        .distinct()
        .order_by("shipment_id", "line__order_id")
    )
    return [(shipment_id, order_id) for shipment_id, order_id in pairs if shipment_id is not None]


def send_shipping_notice(shipment_id: int, order_id: int) -> None:
    """The e-mail telling the orderer which cards of the order are on their way, and where (sent
    by the job queue, `orders.tasks`)."""
    from hmskort.cards.numbers import format_card_number

    group = list(
        BatchItem.objects.filter(shipment_id=shipment_id, line__order_id=order_id)
        .select_related("shipment", "line__order__company", "line__card", "line__holder")
        .order_by("pk")
    )
    if not group:
        return
    order, shipment = group[0].line.order, group[0].shipment
    assert shipment is not None  # filtered on it
    recipient = notice_recipient(order)
    if recipient is None:
        return
    address, language = recipient
    with translation.override(language):
        subject = _("Your HSE cards are on their way")
        cards_text = "\n".join(
            f"- {format_card_number(i.line.card.number)} {i.line.holder.full_name}" for i in group
        )
        body = _(
            "The card issuer has sent %(n)s HSE card(s) ordered for %(company)s to:\n"
            "%(address)s\n\n%(cards)s\n\nThe order and the cards' status:\n%(url)s\n"
        ) % {
            "n": len(group),
            "company": order.company.name,
            "address": "\n".join(shipment.address_lines()),
            "cards": cards_text,
            "url": _order_url(order),
        }
    send_mail(subject, body, None, [address])


@transaction.atomic
def batch_mark_delivered(*, batch: ProductionBatch, actor: Actor) -> ProductionBatch:
    batch = _lock_batch(batch, ProductionBatch.Status.SHIPPED)
    now = timezone.now()
    batch.status = ProductionBatch.Status.DELIVERED
    batch.delivered_at = now
    batch.save(update_fields=["status", "delivered_at"])
    Shipment.objects.filter(batch=batch, delivered_at__isnull=True).update(delivered_at=now)
    record(actor=actor, action="batch.delivered", target=batch)
    return batch


def packing_list_pdf(shipment: Shipment) -> bytes:
    """An A4 packing list for one shipment: the address and the cards in the envelope."""
    from fpdf import FPDF

    from hmskort.cards.numbers import format_card_number

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    for family, style in rendering.FONT_FAMILIES:
        pdf.add_font(family, style, rendering.font_path(family, style))
    pdf.set_fallback_fonts([rendering.FONT_EXT])
    pdf.add_page()
    pdf.set_font(rendering.FONT, "B", 14)
    pdf.cell(text=f"Pakkliste / Packing list: {shipment.batch}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(rendering.FONT, "", 11)
    for address_line in shipment.address_lines():
        pdf.cell(text=address_line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    lines = (
        OrderLine.objects.filter(batch_item__shipment=shipment)
        .select_related("card", "holder")
        .order_by("batch_item__pk")
    )
    pdf.set_font(rendering.FONT, "B", 10)
    pdf.cell(60, 7, "Kortnr. / Card no.", border="B")
    pdf.cell(0, 7, "Navn / Name", border="B", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(rendering.FONT, "", 10)
    count = 0
    for line in lines:
        count += 1
        pdf.cell(60, 6, format_card_number(line.card.number))
        pdf.cell(0, 6, line.holder.full_name, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.cell(text=f"{count} kort / cards", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def batches() -> QuerySet[ProductionBatch]:
    from django.db.models import Count

    return ProductionBatch.objects.annotate(n_cards=Count("items")).order_by("-created_at", "-pk")
