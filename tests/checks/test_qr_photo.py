"""The QR landing shows a valid card's holder photo (the one the issuer approved) so a site
inspector can compare faces; through a short-lived signed link, never for the check by number."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone
from PIL import Image

from hmskort.cards.models import CardState
from hmskort.people.models import Photo
from tests.factories import CardFactory

pytestmark = pytest.mark.django_db


def _jpeg(colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), colour).save(out, format="JPEG")
    return out.getvalue()


def _photo(person, *, verified=True, colour=(200, 30, 30)) -> Photo:
    name = storages["private"].save(
        f"photos/{person.pk}-{colour[0]}.jpg", ContentFile(_jpeg(colour))
    )
    return Photo.objects.create(
        person=person,
        file_name=name,
        width=300,
        height=400,
        uploaded_by="orderer",
        verified_at=timezone.now() if verified else None,
    )


def _photo_link(html: str) -> str:
    match = re.search(r'<img src="([^"]+)" alt="Photo of ', html)
    assert match, "no photo on the page"
    return match.group(1)


def test_the_qr_landing_of_a_valid_card_shows_the_approved_photo_of_the_holder(client):
    card = CardFactory(holder__given_name="Ola", holder__family_name="Hansen")
    _photo(card.holder)

    html = client.get(f"/en/check/{card.qr_token}/").content.decode()

    link = _photo_link(html)
    assert 'alt="Photo of Ola Hansen on file"' in html
    assert "No photo on file" not in html
    response = client.get(link)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    image = Image.open(io.BytesIO(b"".join(response.streaming_content))).convert("RGB")
    red, green, blue = image.getpixel((150, 200))
    assert red > 150 and green < 80 and blue < 80
    # The link names no file and no national ID number.
    assert card.holder.national_id not in link and "photos/" not in link


def test_the_check_by_number_never_shows_the_photo(client):
    card = CardFactory()
    _photo(card.holder)

    html = client.get("/en/check/", {"number": card.number}).content.decode()

    assert "Photo of" not in html and "/check/photo/" not in html


def test_a_photo_the_issuer_has_not_approved_is_not_shown(client):
    card = CardFactory()
    _photo(card.holder, verified=False)

    html = client.get(f"/en/check/{card.qr_token}/").content.decode()

    assert "No photo on file" in html


@pytest.mark.parametrize("state", [CardState.BLOCKED, CardState.STOLEN])
def test_a_card_that_is_not_valid_shows_no_photo_and_its_old_link_stops_working(client, state):
    card = CardFactory()
    _photo(card.holder)
    link = _photo_link(client.get(f"/en/check/{card.qr_token}/").content.decode())

    type(card).objects.filter(pk=card.pk).update(state=state, valid=False)

    html = client.get(f"/en/check/{card.qr_token}/").content.decode()
    assert "Photo of" not in html
    assert client.get(link).status_code == 404


def test_the_photo_link_expires(client, settings):
    settings.HMSKORT_PRIVATE_URL_SECONDS = 300
    card = CardFactory()
    _photo(card.holder)
    link = _photo_link(client.get(f"/en/check/{card.qr_token}/").content.decode())

    with time_machine.travel(timezone.now() + dt.timedelta(seconds=301)):
        assert client.get(link).status_code == 404


def test_a_tampered_photo_link_is_refused(client):
    card = CardFactory()
    _photo(card.holder)
    link = _photo_link(client.get(f"/en/check/{card.qr_token}/").content.decode())

    assert client.get(link.replace("/photo/", "/photo/x")).status_code == 404


def test_a_newer_approved_photo_replaces_the_older_one(client):
    card = CardFactory()
    _photo(card.holder, colour=(10, 10, 200))
    newer = _photo(card.holder, colour=(10, 200, 10))

    link = _photo_link(client.get(f"/en/check/{card.qr_token}/").content.decode())

    from django.core import signing

    token = link.rstrip("/").rsplit("/", 1)[1]
    assert signing.loads(token, salt="hmskort.checks.qr-photo")["p"] == newer.pk
