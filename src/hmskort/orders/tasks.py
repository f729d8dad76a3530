"""E-mails to orderers (huey), queued by `orders.fulfilment` when its transaction commits.

One job sends one e-mail, so a retry (the mail server away for a moment) sends that e-mail
again and no other. Shipping queues one job for the batch, which queues a job per order.
"""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from . import fulfilment

RETRIES = 3
RETRY_DELAY_SECONDS = 300


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY_SECONDS)
def mail_refusal(decision_id: int) -> None:
    """Tell the orderer what to fix in a refused photo or photo ID."""
    fulfilment.send_refusal_notice(decision_id)


@db_task()
def mail_shipping_notices(shipment_ids: list[int]) -> None:
    """A shipped batch: one e-mail job per order and shipment."""
    for shipment_id, order_id in fulfilment.shipping_notices(shipment_ids):
        mail_shipping_notice(shipment_id, order_id)


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY_SECONDS)
def mail_shipping_notice(shipment_id: int, order_id: int) -> None:
    """Tell the orderer which cards of the order are on their way, and where."""
    fulfilment.send_shipping_notice(shipment_id, order_id)
