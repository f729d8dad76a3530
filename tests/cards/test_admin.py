"""Staff work with cards in the admin through the services: legal, audited, recomputed."""

import pytest
from django.urls import reverse

from hmskort.audit.models import AuditEvent
from hmskort.cards import recompute
from hmskort.cards.models import Card, CardState
from tests.factories import CardFactory, employed_person, registered_company

pytestmark = pytest.mark.django_db


def test_staff_report_a_card_lost_from_the_card_list(admin_client):
    company = registered_company()
    card = CardFactory(company=company, holder=employed_person(company))
    recompute.recompute_cards(card_ids=[card.pk], cause="test")
    url = reverse("admin:cards_card_changelist")
    assert admin_client.get(url).status_code == 200

    response = admin_client.post(
        url, {"action": "report_lost", "_selected_action": [card.pk]}, follow=True
    )
    assert response.status_code == 200
    card.refresh_from_db()
    assert (card.state, card.valid, card.reasons) == (CardState.LOST, False, ["card_lost"])
    assert AuditEvent.objects.filter(action="card.lost", actor_kind="staff").exists()


def test_an_illegal_action_in_the_admin_is_refused_with_a_message(admin_client):
    card = CardFactory(state=CardState.ORDERED)
    url = reverse("admin:cards_card_changelist")
    response = admin_client.post(
        url, {"action": "unblock", "_selected_action": [card.pk]}, follow=True
    )
    assert card.number in response.content.decode()
    assert Card.objects.get(pk=card.pk).state == CardState.ORDERED


def test_the_person_list_masks_national_id_numbers(admin_client):
    card = CardFactory()
    content = admin_client.get(reverse("admin:people_person_changelist")).content.decode()
    assert card.holder.national_id not in content
    assert "*******" + card.holder.national_id[-4:] in content
    assert card.holder.national_id[:6] not in content


def test_audit_events_cannot_be_changed_in_the_admin(admin_client):
    CardFactory()
    assert admin_client.get(reverse("admin:audit_auditevent_add")).status_code == 403
