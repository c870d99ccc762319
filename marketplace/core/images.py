"""Validation and clean-up of uploaded images (Pillow): training images, avatars, workers' results.

An image is judged by its content, never its name: JPEG or PNG, at most
`max_bytes`, decodable to the last byte, a short side of at least
`min_short_side` px, and no decompression bomb. Everything that bounds the
work is read from the header first (`read_header`), before a pixel is decoded;
a JPEG is then decoded at a reduced scale (draft mode) when the stored copy is
smaller anyway. Accepted images are re-encoded from their pixels only, which
drops EXIF (GPS included) after applying its orientation, text chunks and any
data appended after the image (polyglots), and fit in `max_side` × `max_side`.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

# The one definition of the per-image limit: the form's help text, the service's
# early refusal, the streaming upload handler and upload.js (through the upload
# form's data-max-bytes) all read it.
MAX_BYTES = 10 * 1024 * 1024
MIN_SHORT_SIDE = 256
# Checked from the header before any pixel is decoded: a 40 MP photo is
# plausible, a 100k × 100k PNG of a few kilobytes is a bomb.
MAX_PIXELS = 40_000_000
# Training needs no more than this (trainers work at 1024 px): larger images are
# stored scaled down, and a large JPEG is decoded at 1/2, 1/4 or 1/8 scale
# (a 40 MP photo at 1/4: 1932 × 1288, stored as it is decoded).
MAX_SIDE = 2048
# The pixels one training set may decode in total, counted from the headers at
# the scale they will be decoded: 100 JPEGs of 40 MP (2.5 MP each at 1/4 scale)
# fit, and 25 PNGs of 40 MP (a PNG cannot be decoded at a reduced scale).
MAX_SET_PIXELS = 1_000_000_000
THUMBNAIL_SIZE = (384, 384)
ACCEPTED_FORMATS = {"JPEG": "jpg", "PNG": "png"}


class ImageRejected(Exception):
    pass


@dataclass(frozen=True)
class ImageRules:
    max_bytes: int
    max_pixels: int
    min_short_side: int
    max_side: int  # the stored image fits in max_side × max_side
    # A JPEG may be decoded at 1/2, 1/4 or 1/8 scale while each side stays at least this (None: full size).
    draft_side: int | None = None
    thumbnail_size: tuple[int, int] | None = None


TRAINING = ImageRules(MAX_BYTES, MAX_PIXELS, MIN_SHORT_SIDE, MAX_SIDE, MAX_SIDE // 2, THUMBNAIL_SIZE)


@dataclass(frozen=True)
class ImageHeader:
    format: str
    width: int
    height: int
    decoded_pixels: int  # what decoding will hold: fewer than width × height for a JPEG in draft mode


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    extension: str
    width: int
    height: int
    thumbnail: bytes | None


def megabytes(size: int) -> str:
    """A size as messages show it: "10 MB", "11.4 MB" (upload.js writes sizes the same way)."""
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


def megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:,.1f}".removesuffix(".0")


def too_large_message(name: str, size: int, limit: int = MAX_BYTES) -> str:
    return _("%(name)s is %(size)s; the limit is %(limit)s per image.") % {
        "name": name, "size": megabytes(size), "limit": megabytes(limit),
    }


def _source(data: bytes | BinaryIO) -> tuple[BinaryIO, int]:
    if isinstance(data, bytes):
        return io.BytesIO(data), len(data)
    data.seek(0, io.SEEK_END)
    size = data.tell()
    data.seek(0)
    return data, size


def _open(name: str, source: BinaryIO) -> Image.Image:
    source.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(source)
        except UnidentifiedImageError:
            raise ImageRejected(_("%(name)s is not an image Atelier can read.") % {"name": name}) from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected(
                _("%(name)s has too many pixels to be a real photo or drawing.") % {"name": name}
            ) from None


def _draft(image: Image.Image, rules: ImageRules) -> None:
    """Ask a JPEG decoder for the smallest scale (1/2, 1/4, 1/8) still at least draft_side on each side:
    decoding is cheaper, and often no resize is needed after it."""
    if image.format == "JPEG" and rules.draft_side:
        image.draft("RGB", (rules.draft_side, rules.draft_side))


def read_header(name: str, data: bytes | BinaryIO, rules: ImageRules = TRAINING) -> ImageHeader:
    """Everything that can be judged without decoding: bytes, type, dimensions. Reads only the header."""
    source, size = _source(data)
    if size > rules.max_bytes:
        raise ImageRejected(too_large_message(name, size, rules.max_bytes))
    probe = _open(name, source)
    if probe.format not in ACCEPTED_FORMATS:
        raise ImageRejected(
            _("%(name)s is a %(format)s image; only JPEG and PNG are accepted.")
            % {"name": name, "format": probe.format or _("unknown")}
        )
    width, height = probe.size
    if width * height > rules.max_pixels:
        raise ImageRejected(
            _("%(name)s is %(w)s × %(h)s pixels; the limit is %(limit)s megapixels.")
            % {"name": name, "w": width, "h": height, "limit": megapixels(rules.max_pixels)}
        )
    if min(width, height) < rules.min_short_side:
        raise ImageRejected(
            _("%(name)s is %(w)s × %(h)s pixels; the short side must be at least %(min)s px.")
            % {"name": name, "w": width, "h": height, "min": rules.min_short_side}
        )
    _draft(probe, rules)
    return ImageHeader(probe.format, width, height, probe.width * probe.height)


def clean_image(name: str, data: bytes | BinaryIO, rules: ImageRules = TRAINING) -> CleanImage:
    """Returns the re-encoded image (and thumbnail, if the rules ask for one), or raises ImageRejected
    with a message for a person."""
    header = read_header(name, data, rules)
    source, _size = _source(data)
    try:
        _open(name, source).verify()
        image = _open(name, source)
        _draft(image, rules)
        image.load()
    except (OSError, SyntaxError, ValueError):
        raise ImageRejected(
            _("%(name)s is damaged or incomplete (was the upload cut short?).") % {"name": name}
        ) from None
    image = ImageOps.exif_transpose(image)
    return _reencode(image, ACCEPTED_FORMATS[header.format], rules)


def _reencode(image: Image.Image, extension: str, rules: ImageRules) -> CleanImage:
    # A fresh image carries no EXIF, XMP or text chunks: only pixels survive.
    mode = "RGB" if extension == "jpg" or "A" not in image.getbands() else "RGBA"
    if image.mode != mode:
        image = image.convert(mode)
    image.thumbnail((rules.max_side, rules.max_side))
    pixels = Image.new(mode, image.size)
    pixels.paste(image)
    out = io.BytesIO()
    if extension == "jpg":
        pixels.save(out, "JPEG", quality=92, optimize=True)
    else:
        pixels.save(out, "PNG", compress_level=6)
    thumbnail = None
    if rules.thumbnail_size:
        thumb = pixels.convert("RGB")
        thumb.thumbnail(rules.thumbnail_size)
        thumb_out = io.BytesIO()
        thumb.save(thumb_out, "JPEG", quality=85, optimize=True)
        thumbnail = thumb_out.getvalue()
    return CleanImage(
        content=out.getvalue(), extension=extension, width=pixels.width, height=pixels.height,
        thumbnail=thumbnail,
    )
