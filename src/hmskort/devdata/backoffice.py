"""Demo data of the issuer's back office: a staff user per role, and one production batch.

The batch: an order of Demo Bygg AS placed for the purpose (fixed one-time key), its photos and
photo IDs verified by the demo verifier, gathered into a batch by the demo production user and
rendered to `var/demo-batch.pdf`. Idempotent: a second run finds the order and its batch and
renders the PDF again. The staff users' passwords and TOTP secrets are derived from SECRET_KEY
(stable from run to run, not guessable from this source) and written to demo.json only with
DEBUG on.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from pathlib import Path
from typing import Any, NamedTuple

from django.conf import settings

from hmskort.accounts.staff import StaffRole, create_staff_user
from hmskort.audit.services import Actor
from hmskort.companies.models import Company, DeliveryAddress
from hmskort.orders import fulfilment, invoicing, selectors, services
from hmskort.orders.fulfilment_models import ProductionBatch
from hmskort.orders.models import Order, OrderLine
from hmskort.people.models import Person
from hmskort.people.services import DocumentsUpload

from .orders import DEMO_ORDERER_CONTACT, FAMILY_NAME, _jpeg, _national_id

ACTOR = Actor.system("demo")


class DemoOrder(NamedTuple):
    """An order of Demo Bygg AS placed for the back office's demo: its fixed one-time key, its
    holders (given name, birth date) and the colour of their photos."""

    key: str
    holders: tuple[tuple[str, dt.date], ...]
    photo_colour: tuple[int, int, int]


BATCH_ORDER = DemoOrder(
    "demo-order-produced",
    (("Ingrid", dt.date(1990, 6, 15)), ("Øystein", dt.date(1991, 6, 15))),
    (205, 185, 165),
)
INVOICED_ORDER = DemoOrder(
    "demo-order-invoiced",
    (("Kristin", dt.date(1992, 6, 15)), ("Lars", dt.date(1993, 6, 15))),
    (190, 175, 160),
)


def _secret(purpose: str) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), purpose.encode(), hashlib.sha256).digest()


def staff_users() -> list[dict[str, Any]]:
    """A staff user per back-office role (created or reset with the same secrets)."""
    users = []
    for role in StaffRole.values:
        username = f"demo-{role}"
        password = base64.urlsafe_b64encode(_secret(f"demo-staff-password:{role}")).decode()[:20]
        key = _secret(f"demo-staff-totp:{role}")[:20]
        new = create_staff_user(
            username=username, role=role, password=password, totp_key=key.hex(), actor=ACTOR
        )
        entry: dict[str, Any] = {"username": username, "role": role}
        if settings.DEBUG:
            entry.update(password=new.password, totp_secret=new.totp_secret)
        users.append(entry)
    return users


def _verified_order(
    *, company: Company, orderer: Person, spec: DemoOrder
) -> tuple[Order, list[OrderLine]]:
    """An order of the company for the holders (fixed one-time key), its photos and photo IDs
    submitted and verified by the demo verifier. Idempotent: a second run finds the order and
    only does what is still to do."""
    result = services.order_place(
        company=company,
        orderer=orderer,
        holders=[
            services.Holder(
                national_id=_national_id(born), given_name=given, family_name=FAMILY_NAME
            )
            for given, born in spec.holders
        ],
        delivery_address=DeliveryAddress.objects.filter(company=company).order_by("pk").first(),
        idempotency_key=spec.key,
        contact=DEMO_ORDERER_CONTACT,
    )
    lines = list(result.order.lines.select_related("card").order_by("pk"))
    verifier = Actor.staff("demo-verifier")
    for line in lines:
        if line.card.state == "awaiting_documents":
            services.documents_submit(
                line=line,
                upload=DocumentsUpload(
                    photo=_jpeg(700, 900, spec.photo_colour),
                    document_kind="passport",
                    document_front=_jpeg(1000, 700, (200, 210, 230)),
                ),
                actor=ACTOR,
                uploaded_by="orderer",
            )
            line.refresh_from_db()
        if line.card.state == "awaiting_verification":
            fulfilment.verification_approve(line=line, staff="demo-verifier", actor=verifier)
    return result.order, lines


def _batch_of(lines: list[OrderLine]) -> ProductionBatch:
    """The production batch of the lines: the one made before, or a new one."""
    batch = ProductionBatch.objects.filter(items__line__in=lines).first()
    if batch is None:
        batch = fulfilment.batch_create(
            staff="demo-production",
            actor=Actor.staff("demo-production"),
            line_ids=[line.pk for line in lines],
        )
    return batch


def _order_entry(
    *, key: str, company: Company, order: Order, lines: list[OrderLine]
) -> dict[str, Any]:
    """The order as demo.json describes it: its progress and its cards."""
    return {
        "key": key,
        "orgnr": company.orgnr,
        "status": selectors.order_progress(order, [ln.card.state for ln in lines]),
        "cards": [
            {
                "number": ln.card.number,
                "holder_name": ln.holder.full_name,
                "state": ln.card.state,
                "cancelled": ln.cancelled_at is not None,
            }
            for ln in lines
        ],
    }


def production_batch(*, company: Company, orderer: Person) -> dict[str, Any]:
    """The demo production batch: its PDF path and card numbers."""
    order, lines = _verified_order(company=company, orderer=orderer, spec=BATCH_ORDER)
    batch = _batch_of(lines)
    path = Path(settings.VAR_DIR) / "demo-batch.pdf"
    path.write_bytes(fulfilment.batch_pdf(batch))
    batch_lines = list(fulfilment.batch_lines(batch))
    return {
        "pdf": str(path),
        "cards": [line.card.number for line in batch_lines],
        "id": batch.pk,
        "order": _order_entry(key=BATCH_ORDER.key, company=company, order=order, lines=batch_lines),
    }


def invoiced_order(*, company: Company, orderer: Person) -> dict[str, Any]:
    """An order of Demo Bygg AS taken the whole way: verified, produced, shipped (its cards
    issued) and invoiced, so the invoicing pages show an invoice. Idempotent."""
    order, lines = _verified_order(company=company, orderer=orderer, spec=INVOICED_ORDER)
    production = Actor.staff("demo-production")
    batch = _batch_of(lines)
    if batch.status == ProductionBatch.Status.CREATED:
        batch = fulfilment.batch_mark_produced(batch=batch, actor=production)
    if batch.status == ProductionBatch.Status.PRODUCED:
        fulfilment.batch_ship(batch=batch, actor=production)
    invoicing.invoice_order(
        order=order, actor=Actor.staff("demo-administrator"), staff="demo-administrator"
    )
    lines = list(order.lines.select_related("card", "holder").order_by("pk"))
    invoices = [
        {
            "number": inv.number,
            "order_key": INVOICED_ORDER.key,
            "orgnr": company.orgnr,
            "gross_amount": str(inv.gross_amount),
            "cards": [line.card_number for line in inv.lines.order_by("position")],
        }
        for inv in order.invoices.order_by("number")
    ]
    order_entry = _order_entry(key=INVOICED_ORDER.key, company=company, order=order, lines=lines)
    return {"order": order_entry, "invoices": invoices}
