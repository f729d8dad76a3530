"""The worker's own upload link: unguessable, single purpose, expiring, revocable, locked after
five wrong birth dates; the photo and photo ID it takes move the card on to verification."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.storage import storages

from hmskort.audit.services import Actor
from hmskort.cards.models import Card, CardState
from hmskort.orders.models import OrderLine, UploadLink
from hmskort.orders.services import (
    LinkGone,
    LinkNotFound,
    documents_submit,
    upload_link_check_birth_date,
    upload_link_for,
    upload_link_renew,
)
from hmskort.people.models import IdentityDocument, Photo
from tests.orders.conftest import place_order, upload
from tests.orders.images import gif

pytestmark = pytest.mark.django_db


@pytest.fixture
def ordered(world):
    result = place_order(world)
    line = result.order.lines.get()
    token = result.links[line.pk].rstrip("/").rsplit("/", 1)[1]
    return line, token


def test_a_link_leads_to_its_card(ordered):
    line, token = ordered
    assert upload_link_for(token).line == line


def test_an_unknown_or_tampered_link_is_not_found(ordered):
    _line, token = ordered
    secret, signature = token.split(":")
    for bad in ("", "nonsense", f"{secret}x:{signature}", f"{secret}:{signature[:-2]}aa"):
        with pytest.raises(LinkNotFound):
            upload_link_for(bad)


def test_an_expired_link_is_gone(ordered):
    _line, token = ordered
    with (
        time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=15)),
        pytest.raises(LinkGone) as gone,
    ):
        upload_link_for(token)
    assert gone.value.reason == "expired"


def test_a_new_link_revokes_the_old_one(world, ordered):
    line, token = ordered
    upload_link_renew(line=line, orderer=world.manager)
    with pytest.raises(LinkGone) as gone:
        upload_link_for(token)
    assert gone.value.reason == "revoked"


def test_five_wrong_birth_dates_lock_the_link(ordered):
    _line, token = ordered
    link = upload_link_for(token)
    for _ in range(4):
        assert upload_link_check_birth_date(link=link, birth_date=dt.date(2000, 1, 1)) is False
    with pytest.raises(LinkGone):
        upload_link_check_birth_date(link=link, birth_date=dt.date(2000, 1, 1))
    with pytest.raises(LinkGone) as gone:
        upload_link_for(token)
    assert gone.value.reason == "locked"


def test_the_right_birth_date_opens_the_link(ordered):
    _line, token = ordered
    link = upload_link_for(token)
    assert upload_link_check_birth_date(link=link, birth_date=dt.date(1991, 3, 4))


def test_photo_and_id_move_the_card_to_verification_and_use_up_the_link(ordered):
    line, token = ordered
    link = upload_link_for(token)
    documents_submit(
        line=line, upload=upload(), actor=Actor.system("t"), uploaded_by="holder", link=link
    )
    line = OrderLine.objects.get(pk=line.pk)
    assert line.card.state == CardState.AWAITING_VERIFICATION
    assert storages["private"].exists(line.photo.file_name)
    assert storages["private"].exists(line.identity_document.front_file_name)
    with pytest.raises(LinkGone) as gone:
        upload_link_for(token)
    assert gone.value.reason == "used"


def test_a_bad_image_stores_nothing(ordered, _private_storage):
    line, _token = ordered
    with pytest.raises(ValidationError) as error:
        documents_submit(
            line=line,
            upload=upload(document_front=gif()),
            actor=Actor.system("t"),
            uploaded_by="orderer",
        )
    assert "document_front" in error.value.message_dict
    assert not Photo.objects.exists() and not IdentityDocument.objects.exists()
    assert not _private_storage.exists() or not any(_private_storage.rglob("*.jpg"))
    assert Card.objects.get().state == CardState.AWAITING_DOCUMENTS


def test_a_failure_after_the_files_are_written_removes_them(ordered, _private_storage, monkeypatch):
    line, _token = ordered
    from hmskort.cards import services as cards

    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(cards, "card_transition", broken)
    with pytest.raises(RuntimeError):
        documents_submit(line=line, upload=upload(), actor=Actor.system("t"), uploaded_by="orderer")
    assert not any(_private_storage.rglob("*.jpg"))
    assert not Photo.objects.exists()
    assert UploadLink.objects.filter(used_at__isnull=True).count() == 1
