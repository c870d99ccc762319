"""Avatars go through the training images' pipeline: re-encoded, renamed, bounded, and the old file removed."""

import io
import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from marketplace.core.testing import imagefiles

pytestmark = pytest.mark.django_db


def post_avatar(client, name, data, url=None):
    upload = SimpleUploadedFile(name, data, content_type="image/jpeg")
    return client.post(url or reverse("accounts:profile-edit"), {"display_name": "Ada", "bio": "", "avatar": upload})


def stored(user) -> bytes:
    user.refresh_from_db()
    with user.avatar.open("rb") as fh:
        return fh.read()


def test_avatar_is_reencoded_without_exif_gps_under_a_name_atelier_chose(client, user):
    original = imagefiles.jpeg(size=(1600, 1200), exif_gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get(0x8825)  # the upload carries GPS
    client.force_login(user)
    assert post_avatar(client, "home in Paris ../x.jpg", original).status_code == 302
    data = stored(user)
    image = Image.open(io.BytesIO(data))
    assert not image.getexif() and b"AtelierCam" not in data
    assert image.size == (400, 300)  # at most 512 px (decoded at 1/4 scale: 1600 × 1200 / 4)
    assert re.fullmatch(rf"avatars/{user.pk}-[0-9a-f]{{12}}\.jpg", user.avatar.name)


def test_polyglot_avatar_loses_what_was_appended(client, user):
    polyglot = imagefiles.png(size=(300, 300)) + b"<html><script>alert(1)</script></html>"
    client.force_login(user)
    assert post_avatar(client, "a.png", polyglot).status_code == 302
    data = stored(user)
    assert b"<script>" not in data
    assert Image.open(io.BytesIO(data)).format == "PNG"


def test_replacing_an_avatar_deletes_the_old_file_after_commit(client, user, django_capture_on_commit_callbacks):
    client.force_login(user)
    post_avatar(client, "first.jpg", imagefiles.jpeg())
    first = stored(user) and user.avatar.name
    with django_capture_on_commit_callbacks(execute=True):
        post_avatar(client, "second.jpg", imagefiles.jpeg(colour=(10, 200, 90)))
    user.refresh_from_db()
    assert user.avatar.name != first
    assert default_storage.exists(user.avatar.name)
    assert not default_storage.exists(first)


def test_a_100_megapixel_avatar_is_refused_from_its_header(client, user):
    client.force_login(user)
    response = post_avatar(client, "huge.png", imagefiles.decompression_bomb(side=10_000))
    assert response.status_code == 200
    assert "huge.png has too many pixels to be a real photo or drawing." in response.content.decode()
    response = post_avatar(client, "big.png", imagefiles.decompression_bomb(side=7_000))
    assert "big.png is 7000 × 7000 pixels; the limit is 40 megapixels." in response.content.decode()
    user.refresh_from_db()
    assert not user.avatar


def test_becoming_an_artist_cleans_the_avatar_the_same_way(client, user):
    client.force_login(user)
    upload = SimpleUploadedFile("me.jpg", imagefiles.jpeg(exif_gps=True), content_type="image/jpeg")
    response = client.post(reverse("styles:become-artist"), {"display_name": "Ada Paints", "bio": "", "avatar": upload})
    assert response.status_code == 302
    data = stored(user)
    assert not Image.open(io.BytesIO(data)).getexif()
    assert re.fullmatch(rf"avatars/{user.pk}-[0-9a-f]{{12}}\.jpg", user.avatar.name)
