"""Status history and audit rows carry no foreign-key constraint in the database (the recompute
writes them in bulk), so what the constraints did is kept by Django: deleting a card deletes
its history; a company that audit events name cannot be deleted."""

import pytest
from django.db.models import ProtectedError

from hmskort.audit.models import AuditEvent
from hmskort.audit.services import Actor, record
from hmskort.cards.models import Card, CardStatusChange
from tests.factories import CardFactory, CompanyFactory

pytestmark = pytest.mark.django_db


def test_deleting_a_card_deletes_its_status_history():
    card = CardFactory()
    CardStatusChange.objects.create(
        card=card, at=card.created_at, valid=False, reasons=[], state=card.state
    )
    assert CardStatusChange.objects.filter(card=card).exists()

    Card.objects.filter(pk=card.pk).delete()

    assert not CardStatusChange.objects.filter(card_id=card.pk).exists()


def test_a_company_named_by_an_audit_event_cannot_be_deleted():
    company = CompanyFactory()
    record(actor=Actor.system("test"), action="test.noted", target=company, company=company)

    with pytest.raises(ProtectedError):
        company.delete()

    assert AuditEvent.objects.filter(company_id=company.pk).exists()
