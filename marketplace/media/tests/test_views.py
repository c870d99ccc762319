"""The media view: who reads which file, in each of the three ways of sending it."""

from __future__ import annotations

import pytest
import requests
from django.core.files.base import ContentFile
from django.utils import timezone

from marketplace.generations.models import Generation
from marketplace.jobs.signing import GENERATION, TRAINING, job_token
from marketplace.styles.models import Style, TrainingImage
from worker.signing import signed_headers

WORKER = {"HTTP_AUTHORIZATION": "Bearer dev-internal-token"}


@pytest.fixture(autouse=True)
def _worker_token(settings):
    settings.INTERNAL_API_TOKEN = "dev-internal-token"


@pytest.fixture
def public_image(make_generation, stored_png):
    generation = make_generation(status=Generation.Status.COMPLETED, visibility=Generation.Visibility.PUBLIC)
    stored_png(generation.image, f"{generation.pk}-pub.png")
    return generation


@pytest.fixture
def private_image(make_generation, stored_png):
    generation = make_generation(status=Generation.Status.COMPLETED)
    stored_png(generation.image, f"{generation.pk}-priv.png")
    return generation


@pytest.fixture
def training_image(style, stored_png, png_bytes):
    image = TrainingImage(style=style, position=0, width=512, height=512)
    image.image.save("1-000-abcd.png", ContentFile(png_bytes(), name="x.png"), save=False)
    image.thumbnail.save("1-000-abcd.jpg", ContentFile(png_bytes(), name="x.jpg"), save=False)
    image.save()
    return image


@pytest.fixture
def model_file(style):
    style.model_path.save(f"style-{style.pk}.bin", ContentFile(b"\x00weights"), save=True)
    return style.model_path.name


def get(client, name, **extra):
    return client.get(f"/media/{name}", **extra)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- who may read what (stream mode, the default) ---------------------------------------------------------


@pytest.mark.django_db
def test_a_public_image_is_served_to_anyone_inline_with_its_real_type(client, public_image, png_bytes):
    response = get(client, public_image.image.name)
    assert response.status_code == 200
    assert body(response) == png_bytes()
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert public_image.image.url == f"/media/{public_image.image.name}"  # templates keep using .url


@pytest.mark.django_db
def test_a_private_image_reaches_only_its_owner_and_staff(client, private_image, user, make_user):
    name = private_image.image.name
    assert get(client, name).status_code == 404
    client.force_login(make_user())
    assert get(client, name).status_code == 404
    client.force_login(user)
    assert get(client, name).status_code == 200
    client.force_login(make_user(is_staff=True))
    assert get(client, name).status_code == 200


@pytest.mark.django_db
def test_a_pending_image_is_not_public_even_if_marked_public(client, make_generation, stored_png, make_user):
    generation = make_generation(status=Generation.Status.PROCESSING, visibility=Generation.Visibility.PUBLIC)
    name = stored_png(generation.image, f"{generation.pk}-wip.png")
    client.force_login(make_user())
    assert get(client, name).status_code == 404
    client.force_login(generation.user)
    assert get(client, name).status_code == 200


@pytest.mark.django_db
def test_a_withdrawn_or_hidden_image_stops_working_for_others_at_once(client, public_image, make_user):
    name = public_image.image.name
    client.force_login(make_user())
    assert get(client, name).status_code == 200
    Generation.objects.filter(pk=public_image.pk).update(visibility=Generation.Visibility.PRIVATE)
    assert get(client, name).status_code == 404
    Generation.objects.filter(pk=public_image.pk).update(
        visibility=Generation.Visibility.PUBLIC, hidden_at=timezone.now()
    )
    assert get(client, name).status_code == 404


@pytest.mark.django_db
def test_a_deleted_image_is_gone_for_everyone_even_its_owner(client, public_image, user):
    from marketplace.generations.services import generation_delete

    name = public_image.image.name
    generation_delete(user=user, generation_id=public_image.pk)
    client.force_login(user)
    assert get(client, name).status_code == 404


@pytest.mark.django_db
def test_training_originals_reach_only_the_artist_staff_and_the_worker(client, training_image, artist, make_user):
    name = training_image.image.name
    assert get(client, name).status_code == 404
    assert get(client, name, HTTP_AUTHORIZATION="Bearer wrong-token").status_code == 404
    client.force_login(make_user())
    assert get(client, name).status_code == 404
    assert get(client, name, **WORKER).status_code == 200
    client.force_login(artist)
    assert get(client, name).status_code == 200
    client.force_login(make_user(is_staff=True))
    assert get(client, name).status_code == 200


@pytest.mark.django_db
def test_a_signed_worker_reads_only_the_files_of_its_own_job(client, settings, training_image, model_file, make_style):
    settings.WORKER_WEBHOOK_SECRETS = ["media-test-secret"]
    style_id = training_image.style_id

    def signed(token):
        return {"headers": {**signed_headers("media-test-secret", b""), "Atelier-Job-Token": token}}

    own = job_token(kind=TRAINING, job_id=style_id, style_id=style_id)
    other = make_style(name="Another Set")
    elsewhere = job_token(kind=TRAINING, job_id=other.pk, style_id=other.pk)
    a_generation_in_it = job_token(kind=GENERATION, job_id=99, style_id=style_id)
    assert get(client, training_image.image.name, **signed(own)).status_code == 200
    assert get(client, model_file, **signed(a_generation_in_it)).status_code == 200
    assert get(client, training_image.image.name, **signed(elsewhere)).status_code == 404
    assert get(client, model_file, **signed(elsewhere)).status_code == 404
    wrong_secret = {**signed_headers("not-the-secret", b""), "Atelier-Job-Token": own}
    assert get(client, training_image.image.name, headers=wrong_secret).status_code == 404


@pytest.mark.django_db
def test_thumbnails_are_public_while_the_style_is_live_and_private_after(client, training_image, artist, make_user):
    name = training_image.thumbnail.name
    response = get(client, name)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    Style.objects.filter(pk=training_image.style_id).update(hidden_at=timezone.now())
    assert get(client, name).status_code == 404
    client.force_login(make_user())
    assert get(client, name).status_code == 404
    client.force_login(artist)
    assert get(client, name).status_code == 200


@pytest.mark.django_db
def test_a_model_file_is_a_download_for_the_artist_staff_and_worker_only(client, model_file, artist, make_user):
    assert get(client, model_file).status_code == 404
    client.force_login(make_user())
    assert get(client, model_file).status_code == 404
    response = get(client, model_file, **WORKER)
    assert response.status_code == 200
    assert body(response) == b"\x00weights"
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    client.force_login(artist)
    assert get(client, model_file).status_code == 200


@pytest.mark.django_db
def test_avatars_are_public(client, make_user, stored_png):
    person = make_user()
    name = stored_png(person.avatar, "face.png")
    assert get(client, name).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("name", [
    "generations/none.png", "elsewhere/x.png", "generations/../models/style-1.bin", "avatars/unknown.png",
])
def test_names_no_row_owns_are_404(client, name, public_image):
    assert get(client, name).status_code == 404


@pytest.mark.django_db
def test_a_file_missing_from_disk_is_404_not_500(client, public_image):
    public_image.image.storage.delete(public_image.image.name)
    assert get(client, public_image.image.name).status_code == 404


@pytest.mark.django_db
def test_the_lookup_is_one_query(client, public_image, training_image, django_assert_num_queries):
    for name in (public_image.image.name, training_image.thumbnail.name):
        with django_assert_num_queries(1):
            assert get(client, name).status_code == 200


@pytest.mark.django_db
def test_the_lookup_uses_an_index(public_image):
    from django.db import connection

    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, "generations_generation")
    assert any(info["columns"] == ["image"] and info["index"] for info in indexes.values())


@pytest.mark.django_db
def test_only_get_and_head(client, public_image):
    assert client.head(f"/media/{public_image.image.name}").status_code == 200
    assert client.post(f"/media/{public_image.image.name}").status_code == 405


# --- accel: nginx sends the bytes -------------------------------------------------------------------------


@pytest.mark.django_db
def test_accel_mode_answers_empty_with_x_accel_redirect(client, settings, public_image, private_image, model_file):
    settings.MEDIA_SERVE = "accel"
    response = get(client, public_image.image.name)
    assert response.status_code == 200
    assert response.content == b""
    assert response["X-Accel-Redirect"] == f"/protected-media/{public_image.image.name}"
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert get(client, private_image.image.name).status_code == 404
    assert "X-Accel-Redirect" not in get(client, private_image.image.name)
    download = get(client, model_file, **WORKER)
    assert download["X-Accel-Redirect"] == f"/protected-media/{model_file}"
    assert download["Content-Disposition"].startswith("attachment")


# --- s3: a short-lived presigned redirect (moto_server) ---------------------------------------------------


@pytest.mark.django_db
def test_s3_mode_redirects_to_a_presigned_url_that_fetches_the_bytes(
    client, s3_media, make_generation, make_user, png_bytes
):
    generation = make_generation(status=Generation.Status.COMPLETED, visibility=Generation.Visibility.PUBLIC)
    generation.image.save(f"{generation.pk}-s3.png", ContentFile(png_bytes(), name="s3.png"), save=True)
    name = generation.image.name
    assert generation.image.url == f"/media/{name}"  # pages never hold a presigned URL

    response = get(client, name)
    assert response.status_code == 302
    location = response["Location"]
    assert s3_media.name in location and "X-Amz-Expires=60" in location
    fetched = requests.get(location, timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == png_bytes()
    assert fetched.headers["Content-Type"] == "image/png"

    Generation.objects.filter(pk=generation.pk).update(visibility=Generation.Visibility.PRIVATE)
    client.force_login(make_user())
    assert get(client, name).status_code == 404


@pytest.mark.django_db
def test_s3_mode_model_files_download_as_attachments(client, s3_media, style):
    style.model_path.save(f"style-{style.pk}.bin", ContentFile(b"weights"), save=True)
    response = get(client, style.model_path.name, **WORKER)
    assert response.status_code == 302
    fetched = requests.get(response["Location"], timeout=10)
    assert fetched.content == b"weights"
    assert fetched.headers["Content-Disposition"].startswith("attachment")
