"""Validation and clean-up of uploaded training images (Pillow).

An image is judged by its content, never its name: JPEG or PNG, at most
MAX_BYTES, decodable to the last byte, at least MIN_SHORT_SIDE px on its
short side, and no decompression bomb. Accepted images are re-encoded,
which drops EXIF (GPS included) after applying its orientation, and get a
thumbnail.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

# The one definition of the per-image limit: the form's help text, the service's
# early refusal and upload.js (through the upload form's data-max-bytes) all read it.
MAX_BYTES = 10 * 1024 * 1024
MIN_SHORT_SIDE = 256
# Checked from the header before any pixel is decoded: a 40 MP photo is
# plausible, a 100k × 100k PNG of a few kilobytes is a bomb.
MAX_PIXELS = 40_000_000
THUMBNAIL_SIZE = (384, 384)
ACCEPTED_FORMATS = {"JPEG": "jpg", "PNG": "png"}


class ImageRejected(Exception):
    pass


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    extension: str
    width: int
    height: int
    thumbnail: bytes


def megabytes(size: int) -> str:
    """A size as messages show it: "10 MB", "11.4 MB" (upload.js writes sizes the same way)."""
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


def too_large_message(name: str, size: int) -> str:
    return _("%(name)s is %(size)s; the limit is %(limit)s per image.") % {
        "name": name, "size": megabytes(size), "limit": megabytes(MAX_BYTES),
    }


def clean_image(name: str, data: bytes) -> CleanImage:
    """Returns the re-encoded image and its thumbnail, or raises ImageRejected with a message for a person."""
    if len(data) > MAX_BYTES:
        raise ImageRejected(too_large_message(name, len(data)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            probe = Image.open(io.BytesIO(data))
        except UnidentifiedImageError:
            raise ImageRejected(_("%(name)s is not an image Atelier can read.") % {"name": name}) from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected(
                _("%(name)s has too many pixels to be a real photo or drawing.") % {"name": name}
            ) from None
        if probe.format not in ACCEPTED_FORMATS:
            raise ImageRejected(
                _("%(name)s is a %(format)s image; only JPEG and PNG are accepted.")
                % {"name": name, "format": probe.format or _("unknown")}
            )
        if probe.width * probe.height > MAX_PIXELS:
            raise ImageRejected(
                _("%(name)s is %(w)s × %(h)s pixels; the limit is 40 megapixels.")
                % {"name": name, "w": probe.width, "h": probe.height}
            )
        try:
            probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected(
                _("%(name)s is damaged or incomplete (was the upload cut short?).") % {"name": name}
            ) from None
    image = ImageOps.exif_transpose(image)
    if min(image.size) < MIN_SHORT_SIDE:
        raise ImageRejected(
            _("%(name)s is %(w)s × %(h)s pixels; the short side must be at least %(min)s px.")
            % {"name": name, "w": image.width, "h": image.height, "min": MIN_SHORT_SIDE}
        )
    return _reencode(image, ACCEPTED_FORMATS[probe.format])


def _reencode(image: Image.Image, extension: str) -> CleanImage:
    # A fresh image carries no EXIF, XMP or text chunks: only pixels survive.
    if extension == "jpg":
        image = image.convert("RGB")
        pixels = Image.new("RGB", image.size)
    else:
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        pixels = Image.new(image.mode, image.size)
    pixels.paste(image)
    out = io.BytesIO()
    if extension == "jpg":
        pixels.save(out, "JPEG", quality=92, optimize=True)
    else:
        pixels.save(out, "PNG", compress_level=6)
    thumb = pixels.convert("RGB")
    thumb.thumbnail(THUMBNAIL_SIZE)
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, "JPEG", quality=85, optimize=True)
    return CleanImage(
        content=out.getvalue(), extension=extension, width=pixels.width, height=pixels.height,
        thumbnail=thumb_out.getvalue(),
    )
