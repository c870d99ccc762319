import json
from pathlib import Path

import jsonschema
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from marketplace.core.testing import imagefiles
from marketplace.jobs.models import OutboxMessage
from marketplace.styles.models import Style, Tag, TrainingImage
from marketplace.styles.services import UploadRejected, style_create

pytestmark = pytest.mark.django_db

SCHEMA = json.loads((Path(settings.BASE_DIR) / "docs/schemas/training-message.v1.json").read_text())


def files(count, make=imagefiles.png, name="img{}.png"):
    return [SimpleUploadedFile(name.format(i), make()) for i in range(count)]


def create(artist, uploads, **overrides):
    fields = {
        "artist": artist, "name": "Salt Marsh", "description": "Grey-green estuary light.",
        "tags": ["Watercolor", "coast"], "price_per_generation": 6, "commercial_use": False,
        "credit_required": True, "files": uploads,
    }
    return style_create(**{**fields, **overrides})


def media_files():
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_valid_set_creates_pending_style_images_and_training_message(artist):
    uploads = files(6) + [SimpleUploadedFile(f"p{i}.jpg", imagefiles.jpeg(exif_gps=True)) for i in range(6)]
    style = create(artist, uploads)
    assert style.training_status == "pending"
    assert style.slug.startswith("salt-marsh")
    assert sorted(style.tags.values_list("name", flat=True)) == ["coast", "watercolor"]
    images = list(style.training_images.all())
    assert len(images) == 12 and [i.position for i in images] == list(range(12))
    assert all(i.width and i.height and i.thumbnail for i in images)
    for image in images:
        with image.image.open("rb") as fh:
            assert not Image.open(fh).getexif()  # EXIF, GPS included, is gone from what we store
    message = OutboxMessage.objects.get()
    assert message.queue == "model_training"
    jsonschema.validate(message.payload, SCHEMA)
    assert message.payload["style_id"] == style.pk
    assert message.payload["image_paths"] == [i.image.name for i in images]
    assert message.payload["webhook_url"] == f"{settings.SITE_URL}/api/models/{style.pk}/status"


def assert_nothing_stored():
    assert not Style.objects.exists()
    assert not TrainingImage.objects.exists()
    assert not OutboxMessage.objects.exists()
    assert not Tag.objects.exists()
    assert media_files() == []


@pytest.mark.parametrize(
    "uploads,expected",
    [
        (lambda: files(9), ["A training set needs 10 to 100 images; you sent 9."]),
        (lambda: files(101), ["A training set needs 10 to 100 images; you sent 101."]),
        (
            lambda: files(10) + [SimpleUploadedFile("fake.png", imagefiles.gif())],
            ["fake.png is a GIF image; only JPEG and PNG are accepted."],
        ),
        (
            lambda: files(10) + [SimpleUploadedFile("notes.png", b"hello")],
            ["notes.png is not an image Atelier can read."],
        ),
        (
            lambda: files(10) + [SimpleUploadedFile("cut.png", imagefiles.truncated_png())],
            ["cut.png is damaged or incomplete (was the upload cut short?)."],
        ),
        (
            lambda: files(10) + [SimpleUploadedFile("bomb.png", imagefiles.decompression_bomb())],
            ["bomb.png has too many pixels to be a real photo or drawing."],
        ),
        (
            lambda: files(10) + [SimpleUploadedFile("tiny.png", imagefiles.png(size=(100, 100)))],
            ["tiny.png is 100 × 100 pixels; the short side must be at least 256 px."],
        ),
    ],
    ids=["9-images", "101-images", "gif-named-png", "text-named-png", "truncated", "bomb", "100px"],
)
def test_bad_sets_are_refused_whole_with_a_message(artist, uploads, expected):
    with pytest.raises(UploadRejected) as excinfo:
        create(artist, uploads())
    assert excinfo.value.problems == expected
    assert_nothing_stored()


def test_eleven_megabytes_is_refused(artist):
    with pytest.raises(UploadRejected) as excinfo:
        create(artist, files(10) + [SimpleUploadedFile("huge.png", imagefiles.eleven_megabytes())])
    [problem] = excinfo.value.problems
    assert problem.startswith("huge.png is 1") and problem.endswith("MB; the limit is 10 MB per image.")
    assert_nothing_stored()


def test_every_bad_file_is_named(artist):
    uploads = files(10) + [SimpleUploadedFile("a.png", b"x"), SimpleUploadedFile("b.gif", imagefiles.gif())]
    with pytest.raises(UploadRejected) as excinfo:
        create(artist, uploads)
    assert len(excinfo.value.problems) == 2
    assert excinfo.value.problems[0].startswith("a.png") and excinfo.value.problems[1].startswith("b.gif")
    assert excinfo.value.refused == dict(zip(["a.png", "b.gif"], excinfo.value.problems, strict=True))


def test_failure_inside_the_transaction_leaves_no_file(artist, monkeypatch):
    import marketplace.styles.services as services

    def broken_enqueue(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "outbox_enqueue", broken_enqueue)
    with pytest.raises(RuntimeError):
        create(artist, files(10))
    assert_nothing_stored()


def test_too_many_tags_or_price_out_of_bounds(artist):
    from marketplace.core.exceptions import ServiceError

    with pytest.raises(ServiceError):
        create(artist, files(10), tags=[f"t{i}" for i in range(11)])
    with pytest.raises(ServiceError):
        create(artist, files(10), price_per_generation=0)
    assert_nothing_stored()


def test_a_set_over_the_pixel_budget_is_refused_from_the_headers_naming_the_file(artist, monkeypatch):
    import marketplace.core.images as images

    def no_decoding(*args, **kwargs):
        raise AssertionError("a set over budget must be refused before any image is decoded")

    monkeypatch.setattr(images.Image.Image, "load", no_decoding)
    # 28 PNGs claiming 36 MP each (crafted headers, a few hundred bytes): 1,008 MP to decode.
    uploads = [SimpleUploadedFile(f"big{i}.png", imagefiles.decompression_bomb(side=6_000)) for i in range(28)]
    with pytest.raises(UploadRejected) as excinfo:
        create(artist, uploads)
    assert excinfo.value.problems == [
        "With big27.png the set holds more than 1,000 megapixels to decode, the limit for one training set; "
        "send fewer or smaller images (2048 px on the long side is plenty)."
    ]
    assert_nothing_stored()


def test_large_jpegs_are_stored_scaled_down(artist):
    uploads = files(9) + [SimpleUploadedFile("photo.jpg", imagefiles.jpeg(size=(7000, 4500)))]
    style = create(artist, uploads)
    photo = style.training_images.get(position=9)
    assert (photo.width, photo.height) == (1750, 1125)  # decoded at 1/4 scale, under 2048 px: kept so
    with photo.image.open("rb") as fh:
        assert Image.open(fh).size == (1750, 1125)
