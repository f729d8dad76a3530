"""The photo pipeline decodes every upload; what it stores is upright, cropped and clean."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from hmskort.people.images import (
    MAX_BYTES,
    PHOTO_SIZE,
    ImageRefused,
    process_document,
    process_photo,
)
from tests.orders.images import bomb_png, gif, jpeg, png, truncated_jpeg


def _code(data, process=process_photo):
    with pytest.raises(ImageRefused) as refused:
        process(data)
    return refused.value.code


def test_a_photo_is_cropped_to_the_card_ratio_and_stored_as_jpeg():
    result = process_photo(jpeg(1200, 1200))
    image = Image.open(io.BytesIO(result.content))
    assert image.format == "JPEG"
    assert image.size == PHOTO_SIZE


def test_a_png_with_transparency_is_accepted_on_white():
    result = process_photo(png())
    assert Image.open(io.BytesIO(result.content)).size == PHOTO_SIZE


def test_gps_and_camera_metadata_are_stripped():
    result = process_photo(jpeg(gps=True))
    image = Image.open(io.BytesIO(result.content))
    assert not image.getexif()
    assert "exif" not in image.info and "icc_profile" not in image.info


def test_the_exif_orientation_is_applied():
    # A landscape file that says "rotate 90°" is a portrait photo.
    result = process_document(jpeg(1600, 1000, exif_orientation=6))
    image = Image.open(io.BytesIO(result.content))
    assert image.height > image.width
    assert not image.getexif()


def test_a_gif_is_refused_whatever_its_name_says():
    assert _code(SimpleUploadedFile("photo.jpg", gif(), content_type="image/jpeg")) == "wrong_type"


def test_a_text_file_is_refused():
    assert _code(b"not an image at all") == "not_image"


def test_a_file_over_10_mb_is_refused_before_it_is_decoded():
    upload = SimpleUploadedFile("big.jpg", b"\xff" * (MAX_BYTES + 1), content_type="image/jpeg")
    assert _code(upload) == "too_large"


def test_a_too_small_photo_is_refused_with_the_minimum_in_the_message():
    with translation.override("en"), pytest.raises(ImageRefused) as refused:
        process_photo(jpeg(200, 250))
    assert refused.value.code == "too_small"
    assert "300 x 386" in refused.value.messages[0]


def test_a_decompression_bomb_is_refused_without_decoding_it():
    assert _code(bomb_png()) == "too_many_pixels"


def test_a_corrupt_image_is_refused():
    assert _code(truncated_jpeg()) == "corrupt"


def test_refusals_are_worded_in_norwegian_too():
    with translation.override("nb"), pytest.raises(ImageRefused) as refused:
        process_photo(gif())
    assert refused.value.messages == ["Bare JPEG- og PNG-bilder godtas."]
