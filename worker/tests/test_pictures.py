import io

import pytest
from PIL import Image

from worker.pictures import UnreadablePicture, open_training_image


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def test_a_phones_portrait_photo_stands_up():
    landscape = Image.new("RGB", (60, 40), (200, 30, 40))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    image = open_training_image(encoded(landscape, "JPEG", exif=exif), 0, 1, draft_side=512)
    assert image.size == (40, 60) and image.mode == "RGB"


def test_transparent_areas_are_white_paper_not_black():
    clear = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    assert open_training_image(encoded(clear, "PNG"), 0, 1, draft_side=512).getpixel((5, 5)) == (255, 255, 255)


@pytest.mark.parametrize("data", [b"not an image", encoded(Image.new("RGB", (40, 40)), "PNG")[:60]])
def test_a_damaged_file_is_named_for_the_artist(data):
    with pytest.raises(UnreadablePicture, match=r"Image 3 of 12 could not be read as a picture .* remove it"):
        open_training_image(data, 2, 12, draft_side=512)


def test_a_decompression_bomb_is_refused_before_it_is_decoded(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(UnreadablePicture, match="Image 1 of 1 is too large to read"):
        open_training_image(encoded(Image.new("RGB", (40, 40)), "PNG"), 0, 1, draft_side=512)
