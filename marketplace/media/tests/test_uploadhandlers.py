import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.urls import reverse

from marketplace.core.images import MAX_BYTES, megabytes
from marketplace.core.testing import imagefiles
from marketplace.styles.services import MAX_TRAINING_IMAGES

pytestmark = pytest.mark.django_db


def training_form(images):
    return {
        "name": "Tide Pools", "description": "", "tags": "", "price_per_generation": "4",
        "commercial_use": "no", "credit_required": "yes", "images": images,
    }


def test_a_file_over_10_mb_is_stopped_while_streaming_and_the_form_names_it(client, artist, monkeypatch):
    spooled: dict[str, int] = {}
    original = TemporaryFileUploadHandler.receive_data_chunk

    def spy(self, raw_data, start):
        spooled[self.file_name] = spooled.get(self.file_name, 0) + len(raw_data)
        return original(self, raw_data, start)

    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", spy)
    huge = imagefiles.eleven_megabytes()
    images = [imagefiles.png_upload(f"pool{i}.png") for i in range(9)]
    images.append(imagefiles.SimpleUploadedFile("huge.png", huge, content_type="image/png"))
    client.force_login(artist)
    response = client.post(reverse("styles:new"), training_form(images))
    assert response.status_code == 422
    assert f"huge.png is {megabytes(len(huge))}; the limit is 10 MB per image." in response.content.decode()
    # What reached the disk stopped at the limit (the parser's chunks are 64 KiB), not the whole 11 MB.
    assert MAX_BYTES - 64 * 1024 <= spooled["huge.png"] <= MAX_BYTES
    assert not artist.styles.exists()


class Unreadable:
    def read(self, *args):
        raise AssertionError("the body of an over-limit request must not be read")

    readline = read


def test_a_request_over_the_total_limit_is_refused_with_413_before_its_body_is_read(client, artist):
    client.force_login(artist)
    response = client.generic(
        "POST", reverse("styles:new"), b"", content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(600 * 2**20 + settings.UPLOAD_MAX_REQUEST_BYTES), **{"wsgi.input": Unreadable()},
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert "That upload is too large" in page
    assert "This request is 1610 MB; Atelier accepts at most 1010 MB in one upload" in page


def test_one_byte_over_the_limit_is_refused(client):
    response = client.generic(
        "POST", reverse("styles:new"), b"", content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(settings.UPLOAD_MAX_REQUEST_BYTES + 1), **{"wsgi.input": Unreadable()},
    )
    assert response.status_code == 413


def test_the_worker_api_gets_its_413_as_json(client):
    response = client.generic(
        "PUT", reverse("webhooks:image-upload", args=[1]), b"", content_type="image/png",
        CONTENT_LENGTH=str(2 * 2**30), **{"wsgi.input": Unreadable()},
    )
    assert response.status_code == 413
    assert response.json() == {"error": "The request is 2048 MB; the limit is 1010 MB.", "code": "too_large"}


def test_a_request_just_under_the_limit_is_let_through(client, artist):
    client.force_login(artist)
    response = client.post(reverse("styles:new"), training_form([imagefiles.png_upload("one.png")]))
    assert response.status_code == 422  # judged by the form and service (too few images), not refused early


def test_django_and_nginx_limits_agree():
    conf = (Path(settings.BASE_DIR) / "deploy/nginx/atelier.conf").read_text()
    limits = set(re.findall(r"client_max_body_size (\d+)m;", conf))
    assert limits == {str(settings.UPLOAD_MAX_REQUEST_BYTES // 2**20)}
    assert settings.UPLOAD_MAX_REQUEST_BYTES == MAX_TRAINING_IMAGES * MAX_BYTES + 10 * 2**20
    assert settings.UPLOAD_MAX_FILE_BYTES == MAX_BYTES
