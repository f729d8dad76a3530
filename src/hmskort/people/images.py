"""The photo pipeline: uploaded images are decoded to verify them, never trusted by name or type.

JPEG and PNG up to 10 MB. Each upload is opened with Pillow (only the header first), checked
against the pixel limit before any pixel is decoded (decompression bombs), decoded in full
(corrupt and truncated files fail here), turned upright by its EXIF orientation, and rebuilt as a
fresh image: no EXIF (GPS included), no ICC profile, no comments survive. A card photo is
centre-cropped to the card's photo ratio (35 x 45 mm) and scaled; a photo ID image is only scaled
down. Both are re-encoded as JPEG.

Every refusal is an `ImageRefused` with a code and a message in the user's language.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
ACCEPTED_FORMATS = ("JPEG", "PNG")
# The card photo: 35 x 45 mm, stored at 300 dpi.
PHOTO_SIZE = (413, 531)
PHOTO_MIN = (300, 386)
# Photo ID images: readable, not larger than needed.
DOCUMENT_MAX_SIDE = 2000
DOCUMENT_MIN_SIDE = 400


class ImageRefused(ValidationError):
    """The upload cannot be used. `code`: too_large, empty, not_image, wrong_type, too_many_pixels,
    corrupt or too_small."""


@dataclass(frozen=True)
class ProcessedImage:
    content: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"
    extension: str = "jpg"


def _max_pixels() -> int:
    return int(getattr(settings, "PILLOW_MAX_IMAGE_PIXELS", 40_000_000))


def _read(upload: IO[bytes] | bytes) -> bytes:
    if isinstance(upload, bytes):
        data = upload
    else:
        size = getattr(upload, "size", None)
        if size is not None and size > MAX_BYTES:
            raise _too_large()
        if hasattr(upload, "seek"):
            upload.seek(0)
        data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _too_large()
    if not data:
        raise ImageRefused(_("The file is empty."), code="empty")
    return data


def _too_large() -> ImageRefused:
    return ImageRefused(
        _("The file is larger than 10 MB. Upload a smaller image."), code="too_large"
    )


def _bomb() -> ImageRefused:
    return ImageRefused(
        _("The image has too many pixels to be processed safely. Upload a smaller image."),
        code="too_many_pixels",
    )


def decode(upload: IO[bytes] | bytes, *, draft_to: tuple[int, int] | None = None) -> Image.Image:
    """Open, verify and fully decode an upload; return it upright, in RGB, without metadata."""
    data = _read(upload)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise ImageRefused(_("Only JPEG and PNG images are accepted."), code="wrong_type")
            width, height = image.size
            if width * height > _max_pixels():
                raise _bomb()
            if draft_to and image.format == "JPEG":
                # Decode a large JPEG at a reduced scale that still covers what is needed.
                image.draft("RGB", draft_to)
            image.load()
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _bomb() from None
    except UnidentifiedImageError:
        raise ImageRefused(
            _("The file is not an image we can read. Upload a JPEG or PNG image."),
            code="not_image",
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ImageRefused(
            _("The image is damaged or incomplete. Upload it again or choose another image."),
            code="corrupt",
        ) from None
    original_size = (width, height)
    image = ImageOps.exif_transpose(image) or image
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    else:
        image = image.convert("RGB")
    # A fresh image carries no EXIF, ICC profile, comment or any other metadata.
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    clean.info = {"original_size": original_size}
    return clean


def _encode(image: Image.Image) -> ProcessedImage:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90, optimize=True)
    return ProcessedImage(content=out.getvalue(), width=image.width, height=image.height)


def _original_size(image: Image.Image, upright: bool = True) -> tuple[int, int]:
    width, height = image.info.get("original_size", image.size)
    # Compare in the upright orientation (a rotated original swaps its sides).
    if upright and (image.width > image.height) != (width > height):
        width, height = height, width
    return width, height


def process_photo(upload: IO[bytes] | bytes) -> ProcessedImage:
    """A card photo: verified, upright, cropped to 35:45 at the centre, scaled, re-encoded."""
    image = decode(upload, draft_to=(PHOTO_SIZE[1] * 2, PHOTO_SIZE[1] * 2))
    orig_w, orig_h = _original_size(image)
    target_w, target_h = PHOTO_SIZE
    # The largest centred crop with the card photo's ratio, measured on the original.
    crop_w_orig = min(orig_w, orig_h * target_w // target_h)
    crop_h_orig = min(orig_h, orig_w * target_h // target_w)
    if crop_w_orig < PHOTO_MIN[0] or crop_h_orig < PHOTO_MIN[1]:
        raise ImageRefused(
            _(
                "The photo is too small: it must be at least %(width)s x %(height)s pixels "
                "(width x height) after cropping to the card's photo shape."
            )
            % {"width": PHOTO_MIN[0], "height": PHOTO_MIN[1]},
            code="too_small",
        )
    photo = ImageOps.fit(image, PHOTO_SIZE, method=Image.Resampling.LANCZOS)
    return _encode(photo)


def process_document(upload: IO[bytes] | bytes) -> ProcessedImage:
    """A photo ID image: verified, upright, scaled down to at most 2000 px, re-encoded."""
    image = decode(upload, draft_to=(DOCUMENT_MAX_SIDE, DOCUMENT_MAX_SIDE))
    orig_w, orig_h = _original_size(image)
    if min(orig_w, orig_h) < DOCUMENT_MIN_SIDE:
        raise ImageRefused(
            _(
                "The image of the photo ID is too small to read: its shorter side must be at "
                "least %(side)s pixels."
            )
            % {"side": DOCUMENT_MIN_SIDE},
            code="too_small",
        )
    image.thumbnail((DOCUMENT_MAX_SIDE, DOCUMENT_MAX_SIDE), Image.Resampling.LANCZOS)
    return _encode(image)
