import io

import pytest
from PIL import Image

from marketplace.core.images import ImageRejected, clean_image, read_header
from marketplace.core.testing import imagefiles


def rejected(name, data) -> str:
    with pytest.raises(ImageRejected) as excinfo:
        clean_image(name, data)
    return str(excinfo.value)


def test_valid_jpeg_is_reencoded_without_exif_and_gps():
    original = imagefiles.jpeg(exif_gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get(0x8825)
    clean = clean_image("holiday.jpg", original)
    stored = Image.open(io.BytesIO(clean.content))
    assert stored.format == "JPEG" and (clean.width, clean.height) == (512, 384)
    assert not stored.getexif()
    assert b"AtelierCam" not in clean.content
    thumb = Image.open(io.BytesIO(clean.thumbnail))
    assert max(thumb.size) == 384


def test_valid_png_keeps_png():
    clean = clean_image("a.png", imagefiles.png())
    assert clean.extension == "png" and Image.open(io.BytesIO(clean.content)).format == "PNG"


def test_type_is_judged_by_content_not_name():
    assert clean_image("really-a-jpeg.png", imagefiles.jpeg()).extension == "jpg"
    assert rejected("fake.png", imagefiles.gif()) == "fake.png is a GIF image; only JPEG and PNG are accepted."
    assert rejected("notes.png", b"just some text, not pixels") == "notes.png is not an image Atelier can read."


def test_too_big():
    assert rejected("huge.png", imagefiles.eleven_megabytes()).startswith("huge.png is 1")
    assert "the limit is 10 MB per image" in rejected("huge.png", imagefiles.eleven_megabytes())


def test_truncated():
    assert rejected("cut.png", imagefiles.truncated_png()) == (
        "cut.png is damaged or incomplete (was the upload cut short?)."
    )


def test_decompression_bombs():
    assert rejected("bomb.png", imagefiles.decompression_bomb()) == (
        "bomb.png has too many pixels to be a real photo or drawing."
    )
    assert "the limit is 40 megapixels" in rejected("big.png", imagefiles.decompression_bomb(side=7_000))


def test_too_small():
    assert rejected("tiny.png", imagefiles.png(size=(100, 100))) == (
        "tiny.png is 100 × 100 pixels; the short side must be at least 256 px."
    )


def test_data_appended_to_an_image_is_dropped():
    polyglot = imagefiles.png() + b"<html><script>alert(document.cookie)</script></html>"
    clean = clean_image("polyglot.png", polyglot)
    assert b"<script>" not in clean.content and b"html" not in clean.content
    assert Image.open(io.BytesIO(clean.content)).size == (512, 512)


def test_large_images_are_stored_at_most_2048_px_and_a_jpeg_is_decoded_at_reduced_scale():
    clean = clean_image("big.jpg", imagefiles.jpeg(size=(5000, 3000)))
    assert (clean.width, clean.height) == (2048, 1229)
    header = read_header("big.jpg", imagefiles.jpeg(size=(5000, 3000)))
    assert (header.width, header.height) == (5000, 3000)
    assert header.decoded_pixels == 2500 * 1500  # draft mode: half scale, not 15 MP


def test_header_is_judged_without_decoding():
    header = read_header("bomb.png", imagefiles.decompression_bomb(side=6_000))  # 36 MP claimed, no pixels
    assert header.decoded_pixels == 36_000_000
