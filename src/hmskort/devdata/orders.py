"""Demo orders for Demo Bygg AS: a delivery address and orders in several states, placed through
the real services. Idempotent: each order has a fixed one-time key, so a second run finds it.

Returns what `var/demo.json` shows under `orders` and `upload_links`. Upload links are made anew
on every run (only a hash of a link's secret is stored), so the URLs in demo.json always work.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
from typing import Any

from django.conf import settings
from PIL import Image

from hmskort.audit.services import Actor
from hmskort.companies.models import Company
from hmskort.companies.services import delivery_address_add
from hmskort.identifiers import make_national_id
from hmskort.orders import selectors, services
from hmskort.orders.models import Order
from hmskort.orders.selectors import OrdererContact
from hmskort.people.models import Person
from hmskort.people.services import DocumentsUpload

ADDRESS = {
    "recipient": "Demo Bygg AS",
    "attention": "Lageret",
    "street": "Demoveien 1",
    "postcode": "0150",
    "city": "Oslo",
}
# (key, [(given name, birth date)], what happens after ordering)
ORDERS = (
    ("demo-order-waiting", [("Nora", dt.date(1996, 6, 15)), ("Emil", dt.date(1997, 6, 15))], ""),
    ("demo-order-documents", [("Sofie", dt.date(1998, 6, 15))], "documents"),
    ("demo-order-cancelled", [("Henrik", dt.date(1999, 6, 15))], "cancel"),
)
FAMILY_NAME = "Demo-Bestilt"


def _national_id(born: dt.date) -> str:
    for individual in range(300, 500):
        number = make_national_id(born, individual)
        if number:
            return number
    raise AssertionError("no number")


def _demo_secret(card_number: str) -> str:
    """A fixed link secret per demo card, so demo.json stays the same from run to run; derived
    from SECRET_KEY, so it cannot be guessed from this source."""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"demo-upload:{card_number}".encode(), hashlib.sha256
    ).hexdigest()[:43]


def _jpeg(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="JPEG")
    return out.getvalue()


# The demo orderer's contact for the issuer's messages (example.no: never delivered anywhere).
DEMO_ORDERER_CONTACT = OrdererContact(email="bestiller@example.no", language="nb")


def load(*, company: Company, orderer: Person) -> dict[str, Any]:
    address = delivery_address_add(company=company, actor=Actor.system("demo"), **ADDRESS)
    orders: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for key, people, then in ORDERS:
        holders = [
            services.Holder(
                national_id=_national_id(born), given_name=given, family_name=FAMILY_NAME
            )
            for given, born in people
        ]
        result = services.order_place(
            company=company,
            orderer=orderer,
            holders=holders,
            delivery_address=address,
            idempotency_key=key,
            contact=DEMO_ORDERER_CONTACT,
        )
        order = result.order
        if result.created and then == "documents":
            for line in order.lines.all():
                services.documents_submit(
                    line=line,
                    upload=DocumentsUpload(
                        photo=_jpeg(700, 900, (220, 200, 180)),
                        document_kind="passport",
                        document_front=_jpeg(1000, 700, (200, 210, 230)),
                    ),
                    actor=Actor.system("demo"),
                    uploaded_by="orderer",
                )
        if result.created and then == "cancel":
            services.order_cancel(order=order, orderer=orderer)
        order = Order.objects.get(pk=order.pk)
        lines = list(selectors.order_lines(order))
        for line in lines:
            if line.card.state == "awaiting_documents" and not line.cancelled_at:
                url = services.upload_link_renew(
                    line=line, orderer=orderer, secret=_demo_secret(line.card.number)
                )
                links.append(
                    {
                        "url": url,
                        "birth_date": line.holder.birth_date.isoformat()
                        if line.holder.birth_date
                        else None,
                        "holder_name": line.holder.full_name,
                        "orgnr": company.orgnr,
                        "card_number": line.card.number,
                    }
                )
        orders.append(
            {
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
        )
    return {"orders": orders, "upload_links": links}
