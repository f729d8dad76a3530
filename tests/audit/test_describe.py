"""Audit events in words: each app labels its own actions; one describe() renders them."""

import pytest
from django.utils import translation

from hmskort.audit import labels
from hmskort.audit.models import AuditEvent
from hmskort.audit.selectors import describe
from hmskort.audit.services import Actor, record, record_many
from tests.factories import CardFactory, registered_company

pytestmark = pytest.mark.django_db


def test_every_action_the_apps_record_has_words_in_both_languages():
    company = registered_company()
    card = CardFactory(company=company)
    events = [
        record(actor=Actor.staff("issuer"), action="card.lost", target=card, company=company),
        record(
            actor=Actor.person(1, "Kari Nordmann"),
            action="delegation.granted",
            target=company,
            company=company,
        ),
        record(
            actor=Actor.system("recompute"),
            action="card.validity_changed",
            target=card,
            company=company,
            data={"valid": False},
        ),
    ]
    with translation.override("nb"):
        assert [(describe(e).label, describe(e).actor) for e in events] == [
            ("Meldt tapt", "Kortutstederen"),
            ("Tilgang gitt", "Kari Nordmann"),
            ("Kortet er ikke gyldig", "Systemet"),
        ]
    with translation.override("en"):
        assert [describe(e).label for e in events] == [
            "Reported lost",
            "Access given",
            "Card not valid",
        ]


def test_an_action_no_app_labels_is_shown_by_its_code():
    event = record(actor=Actor.system("x"), action="something.new", target=("x.y", "1"))
    assert describe(event).label == "something.new"


def test_two_apps_cannot_label_the_same_action():
    with pytest.raises(ValueError, match="labelled twice"):
        labels.register({"card.lost": "Another label"})


def test_record_many_writes_one_event_per_object_in_one_bulk_write():
    company = registered_company()
    written = record_many(
        actor=Actor.system("job"),
        action="card.validity_changed",
        object_type="cards.card",
        events=[(1, company.pk, {"valid": True}), ("2", None, '{"valid": false}')],
    )
    assert written == 2
    events = list(AuditEvent.objects.filter(actor_ref="job").order_by("object_id"))
    assert [(e.object_id, e.company_id, e.data) for e in events] == [
        ("1", company.pk, {"valid": True}),
        ("2", None, {"valid": False}),
    ]
