"""Staff work with cards in the admin through the services: legal, audited, recomputed."""

import pytest
from django.urls import reverse

from hmskort.audit.models import AuditEvent
from hmskort.cards import recompute
from hmskort.cards.models import Card, CardState
from hmskort.people.models import Employment
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


def test_an_employment_ended_or_removed_in_the_admin_reaches_the_card(
    admin_client, django_capture_on_commit_callbacks
):
    # Announced like the services' changes: a card's stored holder facts never go stale.
    company = registered_company()
    card = CardFactory(company=company, holder=employed_person(company))
    recompute.recompute_cards(card_ids=[card.pk], cause="test")
    card.refresh_from_db()
    assert (card.valid, card.worker_employment) == (True, 1)
    employment = Employment.objects.get(person=card.holder)
    url = reverse("admin:people_employment_change", args=[employment.pk])
    form = {
        "person": employment.person_id,
        "employer": employment.employer_id,
        "main_unit": employment.main_unit_id,
        "starts_on": "2020-01-01",
        "ends_on": "2020-12-31",
        "source": employment.source,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, form)
    assert response.status_code == 302
    card.refresh_from_db()
    assert (card.valid, card.reasons, card.worker_employment) == (False, ["employment_ended"], 0)

    delete = reverse("admin:people_employment_delete", args=[employment.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    card.refresh_from_db()
    assert card.reasons == ["employment_not_reported"]
    assert card.worker_employment is None


def test_a_residence_permit_changed_in_the_admin_reaches_the_card(
    admin_client, django_capture_on_commit_callbacks
):
    company = registered_company()
    card = CardFactory(company=company, holder=employed_person(company))
    card.card_type.requires_residence_permit = True
    card.card_type.save()
    recompute.recompute_cards(card_ids=[card.pk], cause="test")
    person = card.holder
    url = reverse("admin:people_person_change", args=[person.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(needs_residence_permit="on", residence_permit_until="")
    data = {k: v for k, v in data.items() if k in form.fields}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    card.refresh_from_db()
    assert card.reasons == ["residence_permit_missing"]
    assert card.worker_needs_residence_permit is True
