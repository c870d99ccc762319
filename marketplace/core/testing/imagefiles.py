"""Image bytes for tests, made on the fly with Pillow: good files, and files each check must refuse.

All but the noise-based ones (noise_png, truncated_png, eleven_megabytes) give
the same bytes every call, so a test may compare what was stored with a second call.
"""

import io
import os
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def jpeg(size=(512, 384), colour=(200, 80, 40), exif_gps=False) -> bytes:
    image = Image.new("RGB", size, colour)
    out = io.BytesIO()
    kwargs = {}
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "AtelierCam"  # Make
        exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}  # GPSInfo
        kwargs["exif"] = exif
    image.save(out, "JPEG", quality=90, **kwargs)
    return out.getvalue()


def png(size=(512, 512), colour=(30, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def png_upload(name="a.png", **png_options) -> SimpleUploadedFile:
    """A PNG as a browser would post it in a form; `png_options` go to `png()`."""
    return SimpleUploadedFile(name, png(**png_options), content_type="image/png")


def gif(size=(512, 512)) -> bytes:
    out = io.BytesIO()
    Image.new("P", size, 3).save(out, "GIF")
    return out.getvalue()


def truncated_png() -> bytes:
    data = noise_png((600, 600))
    return data[: len(data) // 2]


def noise_png(size) -> bytes:
    out = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(out, "PNG", compress_level=1)
    return out.getvalue()


def eleven_megabytes() -> bytes:
    data = noise_png((2000, 1900))
    assert len(data) > 10 * 1024 * 1024
    return data


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def decompression_bomb(side=50_000) -> bytes:
    """A few hundred bytes claiming side × side pixels: decoding it would need gigabytes."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    idat = zlib.compress(row * 16, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
