"""From the verification queue to a shipped card: verify, refuse, produce in batches, ship."""

from __future__ import annotations

import csv
import io

import pypdf
import pytest
from django.core import mail
from django.core.files.storage import storages

from hmskort.audit.models import AuditEvent
from hmskort.audit.services import Actor
from hmskort.cards.models import CardState
from hmskort.cards.numbers import format_card_number
from hmskort.orders.fulfilment_models import ProductionBatch, VerificationDecision
from hmskort.orders.services import documents_submit
from tests.orders.conftest import place_order, upload

pytestmark = pytest.mark.django_db


def waiting_line(world, *, email=""):
    from hmskort.orders.services import Holder

    holder = world.employee
    result = place_order(
        world,
        [
            Holder(
                national_id=holder.national_id,
                given_name=holder.given_name,
                family_name=holder.family_name,
                person_id=holder.pk,
                email=email,
                language="en",
            )
        ],
    )
    line = result.order.lines.get()
    documents_submit(line=line, upload=upload(), actor=Actor.system("test"), uploaded_by="orderer")
    line.refresh_from_db()
    return line


@pytest.fixture
def verifier(staff_client):
    return staff_client("verifier", "vera")


def test_the_queue_shows_the_card_and_its_page_shows_photo_and_id_side_by_side(
    world,
    verifier,
):
    line = waiting_line(world)

    queue = verifier.get("/kontor/kontroll/").content.decode()
    page = verifier.get(f"/kontor/kontroll/{line.pk}/").content.decode()

    assert "Ola Arbeider" in queue and "Acme Bygg AS" in queue
    assert f"/kontor/kontroll/{line.pk}/photo/" in page
    assert f"/kontor/kontroll/{line.pk}/front/" in page
    assert "Pass" in page
    assert verifier.get(f"/kontor/kontroll/{line.pk}/front/").status_code == 200


def test_approving_deletes_the_photo_id_files_and_keeps_the_decision(
    world,
    verifier,
    django_capture_on_commit_callbacks,
):
    line = waiting_line(world)
    document = line.identity_document
    front = document.front_file_name
    storage = storages["private"]
    assert storage.exists(front)

    with django_capture_on_commit_callbacks(execute=True):
        response = verifier.post(f"/kontor/kontroll/{line.pk}/", {"decision": "approve"})

    assert response.status_code == 302
    line.card.refresh_from_db()
    assert line.card.state == CardState.APPROVED
    assert not storage.exists(front)
    document.refresh_from_db()
    assert document.front_file_name == "" and document.images_deleted_at is not None
    assert document.verified_by == "vera"
    decision = VerificationDecision.objects.get(line=line)
    assert decision.approved and decision.document_kind == "passport"
    assert decision.decided_by == "vera"
    # The photo for the card stays (it is printed).
    assert storage.exists(line.photo.file_name)


def test_refusing_tells_the_orderer_in_the_history_and_deletes_the_photo_id(
    world,
    verifier,
    django_capture_on_commit_callbacks,
):
    line = waiting_line(world, email="ola@example.no")
    front = line.identity_document.front_file_name

    with django_capture_on_commit_callbacks(execute=True):
        response = verifier.post(
            f"/kontor/kontroll/{line.pk}/",
            {"decision": "reject", "reason": "photo_quality", "text": "Ta av brillene."},
        )

    assert response.status_code == 302
    line.card.refresh_from_db()
    assert line.card.state == CardState.AWAITING_DOCUMENTS
    assert not storages["private"].exists(front)
    event = AuditEvent.objects.get(action="order.verification_rejected")
    assert event.company == world.company and event.data["reason"] == "photo_quality"


def test_refusing_sends_the_e_mail_in_the_order_lines_language(
    world,
    verifier,
    django_capture_on_commit_callbacks,
):
    line = waiting_line(world, email="ola@example.no")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        verifier.post(
            f"/kontor/kontroll/{line.pk}/",
            {"decision": "reject", "reason": "id_unreadable", "text": ""},
        )

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ola@example.no"]
    assert "The photo ID cannot be read" in mail.outbox[0].body


def test_a_refusal_without_a_reason_shows_a_summary_and_changes_nothing(world, verifier):
    line = waiting_line(world)

    response = verifier.post(f"/kontor/kontroll/{line.pk}/", {"decision": "reject"})

    assert response.status_code == 400
    assert 'id="error-summary"' in response.content.decode()
    line.card.refresh_from_db()
    assert line.card.state == CardState.AWAITING_VERIFICATION
    assert storages["private"].exists(line.identity_document.front_file_name)


def test_deciding_twice_does_not_decide_twice(world, verifier):
    line = waiting_line(world)
    verifier.post(f"/kontor/kontroll/{line.pk}/", {"decision": "approve"})

    response = verifier.post(f"/kontor/kontroll/{line.pk}/", {"decision": "approve"}, follow=True)

    assert VerificationDecision.objects.filter(line=line).count() == 1
    assert response.status_code == 200


def approved_line(world, staff_client):
    """A card waiting for verification, approved by a verifier in the back office."""
    line = waiting_line(world)
    staff_client("verifier", "vera").post(f"/kontor/kontroll/{line.pk}/", {"decision": "approve"})
    return line


def batched_line(world, staff_client):
    """An approved card that production has made into a batch: the line, production's client and
    the batch."""
    line = approved_line(world, staff_client)
    production = staff_client("production", "per")
    production.post("/kontor/produksjon/")
    return line, production, ProductionBatch.objects.get()


def test_a_batch_renders_its_cards_ships_per_address_and_shipping_issues_the_cards(
    world,
    staff_client,
):
    line = approved_line(world, staff_client)
    production = staff_client("production", "per")

    response = production.post("/kontor/produksjon/")
    batch = ProductionBatch.objects.get()
    assert response["Location"] == f"/kontor/produksjon/{batch.pk}/"
    line.card.refresh_from_db()
    assert line.card.state == CardState.IN_PRODUCTION

    pdf = production.get(f"/kontor/produksjon/{batch.pk}/fil/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    assert len(pypdf.PdfReader(io.BytesIO(pdf.content)).pages) == 2
    manifest = list(
        csv.DictReader(
            io.StringIO(production.get(f"/kontor/produksjon/{batch.pk}/fil/csv/").content.decode())
        )
    )
    assert [row["card_number"] for row in manifest] == [line.card.number]
    preview = production.get(f"/kontor/produksjon/{batch.pk}/forhandsvisning/{line.pk}/")
    assert preview["Content-Type"] == "image/png"

    production.post(f"/kontor/produksjon/{batch.pk}/produced/")
    production.post(f"/kontor/produksjon/{batch.pk}/shipped/")

    batch.refresh_from_db()
    assert batch.status == ProductionBatch.Status.SHIPPED
    line.card.refresh_from_db()
    assert line.card.state == CardState.ISSUED
    assert line.card.issued_on == batch.issue_date
    shipment = batch.shipments.get()
    assert shipment.street == "Byggveien 2"
    packing = production.get(f"/kontor/sendinger/{shipment.pk}/pakkliste/")
    text = pypdf.PdfReader(io.BytesIO(packing.content)).pages[0].extract_text()
    assert format_card_number(line.card.number) in text and "Ola Arbeider" in text

    production.post(f"/kontor/produksjon/{batch.pk}/delivered/")
    batch.refresh_from_db()
    assert batch.status == ProductionBatch.Status.DELIVERED


def test_a_batch_step_out_of_order_is_refused_with_a_message(world, staff_client):
    _line, production, batch = batched_line(world, staff_client)

    response = production.post(f"/kontor/produksjon/{batch.pk}/shipped/", follow=True)

    batch.refresh_from_db()
    assert batch.status == ProductionBatch.Status.CREATED
    assert "ikke mulig nå" in response.content.decode()


def test_making_a_batch_with_no_approved_cards_says_so(staff_client):
    production = staff_client("production", "per")

    response = production.post("/kontor/produksjon/", follow=True)

    assert ProductionBatch.objects.count() == 0
    assert "Ingen godkjente kort venter på produksjon." in response.content.decode()


def test_the_print_file_draws_the_approved_photo_on_the_front_of_the_card(world, staff_client):
    line, production, batch = batched_line(world, staff_client)

    pdf = pypdf.PdfReader(
        io.BytesIO(production.get(f"/kontor/produksjon/{batch.pk}/fil/pdf/").content)
    )

    front, back = pdf.pages
    assert len(front.images) == 1
    assert len(back.images) == 0
    line.photo.refresh_from_db()
    assert line.photo.verified_at is not None
