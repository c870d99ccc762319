import io
import itertools
import json

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

from marketplace.core.testing import imagefiles
from marketplace.generations.models import Generation
from marketplace.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db


def status_url(pk):
    return reverse("webhooks:image-status", args=[pk])


def report(client, pk, body, headers):
    return client.patch(status_url(pk), data=json.dumps(body), content_type="application/json", **headers)


def ledger_snapshot():
    return list(LedgerEntry.objects.order_by("pk").values_list("kind", "amount"))


def test_reports_need_the_worker_token(client, generation, worker_headers):
    assert report(client, generation.pk, {"status": "processing"}, {}).status_code == 403
    wrong = {"HTTP_AUTHORIZATION": "Bearer nope"}
    assert report(client, generation.pk, {"status": "failed"}, wrong).status_code == 403
    generation.refresh_from_db()
    assert generation.status == "queued"
    assert client.put(reverse("webhooks:image-upload", args=[generation.pk]), data=b"x").status_code == 403


def test_worker_flow_processing_upload_completed(client, generation, worker_headers, png_bytes):
    assert report(client, generation.pk, {"status": "processing", "progress": 10}, worker_headers).status_code == 200
    upload = client.put(
        reverse("webhooks:image-upload", args=[generation.pk]), data=png_bytes(), content_type="image/png",
        **worker_headers,
    )
    assert upload.status_code == 200 and upload.json()["has_image"] is True
    first = report(client, generation.pk, {"status": "completed"}, worker_headers)
    second = report(client, generation.pk, {"status": "completed"}, worker_headers)
    assert first.status_code == second.status_code == 200
    assert second.json()["changed"] is False
    assert LedgerEntry.objects.filter(kind="earn").count() == 1


def test_wrong_size_upload_is_400(client, generation, worker_headers, png_bytes):
    response = client.put(
        reverse("webhooks:image-upload", args=[generation.pk]), data=png_bytes((1024, 1024)),
        content_type="image/png", **worker_headers,
    )
    assert response.status_code == 400
    assert "must be 512×512 pixels" in response.json()["error"]


def put_image(client, generation, data, headers):
    return client.put(
        reverse("webhooks:image-upload", args=[generation.pk]), data=data, content_type="image/png", **headers
    )


def test_a_polyglot_worker_image_is_stored_reencoded(client, generation, worker_headers, png_bytes):
    polyglot = png_bytes() + b"<html><script>alert(document.domain)</script></html>"
    assert put_image(client, generation, polyglot, worker_headers).status_code == 200
    generation.refresh_from_db()
    with generation.image.open("rb") as fh:
        stored = fh.read()
    assert b"<script>" not in stored
    image = Image.open(io.BytesIO(stored))
    assert (image.format, image.size) == ("PNG", (512, 512))


def test_a_20000_by_20000_worker_image_is_a_json_400_not_a_500(client, generation, worker_headers):
    bomb = imagefiles.decompression_bomb(side=20_000)  # a few hundred bytes claiming 400 MP
    response = put_image(client, generation, bomb, worker_headers)
    assert response.status_code == 400
    assert response.json() == {
        "error": "The upload has too many pixels to be a real photo or drawing.", "code": "bad_request",
    }
    generation.refresh_from_db()
    assert not generation.image


def test_a_worker_image_over_40_megapixels_is_refused_from_its_header(client, generation, worker_headers):
    response = put_image(client, generation, imagefiles.decompression_bomb(side=7_000), worker_headers)
    assert response.status_code == 400
    assert response.json()["error"] == "The upload is 7000 × 7000 pixels; the limit is 40 megapixels."


STATUSES = ["queued", "processing", "completed", "failed", "cancelled"]
REPORTS = ["processing", "completed", "failed"]
ALLOWED = {("queued", "processing"), ("queued", "failed"), ("processing", "completed"), ("processing", "failed")}


@pytest.mark.parametrize("current,reported", list(itertools.product(STATUSES, REPORTS)))
def test_every_transition(client, generation, worker_headers, current, reported):
    Generation.objects.filter(pk=generation.pk).update(status=current)
    generation.refresh_from_db()
    generation.image.save("done.png", ContentFile(b"png"), save=False)
    Generation.objects.filter(pk=generation.pk).update(image=generation.image.name)
    before = ledger_snapshot()
    response = report(client, generation.pk, {"status": reported}, worker_headers)
    generation.refresh_from_db()
    if current == reported:
        assert response.status_code == 200 and response.json()["changed"] is False
        assert ledger_snapshot() == before
    elif (current, reported) in ALLOWED:
        assert response.status_code == 200 and generation.status == reported
    else:
        assert response.status_code == 409, (current, reported)
        assert response.json()["code"] == "conflict"
        assert generation.status == current
        assert ledger_snapshot() == before


def test_owner_reads_status_as_json_others_get_404(client, generation, make_user):
    url = status_url(generation.pk)
    assert client.get(url).status_code == 404
    client.force_login(make_user())
    assert client.get(url).status_code == 404
    client.force_login(generation.user)
    body = client.get(url).json()
    assert body["status"] == "queued" and body["queue_position"] == 1 and body["cost"] == 5
    assert body["refunded_tokens"] == 0 and body["image_url"] is None


def test_owner_sees_the_refund_after_a_failure(client, generation, worker_headers):
    report(client, generation.pk, {"status": "failed", "failure_reason": "Out of memory."}, worker_headers)
    client.force_login(generation.user)
    body = client.get(status_url(generation.pk)).json()
    assert body["status"] == "failed" and body["failure_reason"] == "Out of memory."
    assert body["refunded_tokens"] == 5


def test_unknown_generation_is_404(client, worker_headers):
    assert report(client, 987654, {"status": "processing"}, worker_headers).status_code == 404
