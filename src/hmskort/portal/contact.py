"""The person's e-mail address and language, given to the portal in two places for two purposes:
on the order summary, for the issuer's messages about that order (kept on the order,
`orders.selectors.last_orderer_contact`), and on the alert page, for the daily alerts
(`alerts.models.AlertContact`). Each form fills in its own record's address, else the other's, so
nobody types the same address twice; what is saved stays in its own app (alerts and orders do not
import each other)."""

from __future__ import annotations

from hmskort.alerts import selectors as alert_reads
from hmskort.orders import selectors as order_reads
from hmskort.orders.selectors import OrdererContact
from hmskort.people.models import Person


def known_for_orders(person: Person) -> OrdererContact | None:
    """For an order: the contact of the person's last order, else their alert address."""
    known = order_reads.last_orderer_contact(person)
    if known is None and (alert := alert_reads.contact_for(person)) is not None:
        known = OrdererContact(email=alert.email, language=alert.language)
    return known


def known_for_alerts(person: Person) -> OrdererContact | None:
    """For the alert page: the person's alert address, else their last order's contact."""
    alert = alert_reads.contact_for(person)
    if alert is not None:
        return OrdererContact(email=alert.email, language=alert.language)
    return order_reads.last_orderer_contact(person)
