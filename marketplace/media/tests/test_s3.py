"""Media on S3 for real: django-storages against a local S3 server (moto_server), through the services."""

from __future__ import annotations

import io

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from marketplace.core.testing import imagefiles
from marketplace.generations.models import Generation
from marketplace.generations.services import generation_delete, generation_report, generation_store_image
from marketplace.styles.services import style_create

pytestmark = pytest.mark.django_db


def keys(bucket) -> set[str]:
    return {item.key for item in bucket.objects.all()}


def test_a_training_set_uploaded_through_the_service_lands_in_the_bucket_with_thumbnails(
    s3_media, artist, client
):
    uploads = [SimpleUploadedFile(f"img{i}.png", imagefiles.png()) for i in range(10)]
    style = style_create(
        artist=artist, name="Salt Marsh", description="", tags=["coast"], price_per_generation=6,
        commercial_use=False, credit_required=True, files=uploads,
    )
    images = list(style.training_images.all())
    assert len(images) == 10
    stored = keys(s3_media)
    for image in images:
        assert {image.image.name, image.thumbnail.name} <= stored
    thumb = s3_media.Object(images[0].thumbnail.name).get()["Body"].read()
    with Image.open(io.BytesIO(thumb)) as picture:
        assert picture.format == "JPEG" and max(picture.size) <= 384

    client.force_login(artist)
    response = client.get(images[0].image.url)
    assert response.status_code == 302
    assert requests.get(response["Location"], timeout=10).content == imagefiles.png()


def test_a_generation_image_is_stored_served_by_presigned_redirect_and_deleted_with_it(
    s3_media, make_generation, user, client, png_bytes, django_capture_on_commit_callbacks
):
    generation = make_generation(status=Generation.Status.PROCESSING, visibility=Generation.Visibility.PUBLIC)
    generation_store_image(generation_id=generation.pk, data=png_bytes((512, 512)))
    generation_report(generation_id=generation.pk, status="completed")
    generation.refresh_from_db()
    name = generation.image.name
    assert name in keys(s3_media)

    response = client.get(generation.image.url)
    assert response.status_code == 302
    assert requests.get(response["Location"], timeout=10).content == png_bytes((512, 512))

    with django_capture_on_commit_callbacks(execute=True):
        generation_delete(user=user, generation_id=generation.pk)
    assert name not in keys(s3_media)
    client.force_login(user)
    assert client.get(f"/media/{name}").status_code == 404
