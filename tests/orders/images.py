"""Images made on the fly for upload tests."""

from __future__ import annotations

import functools
import io

from PIL import Image


def jpeg(
    width: int = 700, height: int = 900, *, exif_orientation: int | None = None, gps=False
) -> bytes:
    image = Image.new("RGB", (width, height), (200, 180, 160))
    # A darker stripe on the left, to see which way the stored image is turned.
    for x in range(width // 10):
        for y in range(0, height, 4):
            image.putpixel((x, y), (10, 10, 10))
    exif = Image.Exif()
    if exif_orientation:
        exif[0x0112] = exif_orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (59.0, 54.0, 0.0)}
        exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes() if (exif_orientation or gps) else b"")
    return out.getvalue()


def png(width: int = 700, height: int = 900) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (10, 20, 30, 128)).save(out, format="PNG")
    return out.getvalue()


def gif(width: int = 700, height: int = 900) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height)).save(out, format="GIF")
    return out.getvalue()


@functools.cache
def bomb_png(width: int = 8000, height: int = 8000) -> bytes:
    """A small file that claims a huge image (mode 1 compresses to almost nothing)."""
    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def truncated_jpeg() -> bytes:
    data = jpeg(1200, 1600)
    return data[: len(data) // 2]
