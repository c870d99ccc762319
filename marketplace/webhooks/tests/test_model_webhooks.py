import itertools
import json

import pytest
from django.urls import reverse

from marketplace.ledger.models import LedgerEntry
from marketplace.notifications.models import Notification
from marketplace.styles.models import Style

pytestmark = pytest.mark.django_db


def status_url(style_id):
    return reverse("webhooks:model-status", args=[style_id])


def patch(client, style_id, body, headers):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.patch(status_url(style_id), data=data, content_type="application/json", **headers)


@pytest.mark.parametrize(
    "header",
    [None, "Bearer wrong-secret", "Basic d29ya2VyLXNlY3JldA==", "Bearer ", "worker-secret"],
)
def test_missing_or_wrong_token_is_403_and_changes_nothing(client, pending_style, worker_headers, header):
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    response = patch(client, pending_style.pk, {"status": "training"}, headers)
    assert response.status_code == 403
    assert response.json() == {"error": "A valid worker token is required.", "code": "forbidden"}
    pending_style.refresh_from_db()
    assert pending_style.training_status == "pending"


def test_token_in_query_string_is_not_accepted(client, pending_style, worker_headers):
    response = client.patch(
        status_url(pending_style.pk) + "?token=worker-secret", data="{}", content_type="application/json"
    )
    assert response.status_code == 403


def test_happy_path_pending_training_completed(client, pending_style, worker_headers, with_artifact):
    assert patch(client, pending_style.pk, {"status": "training", "progress": 0}, worker_headers).json()["changed"]
    body = patch(client, pending_style.pk, {"status": "training", "progress": 40}, worker_headers).json()
    assert body["progress"] == 40 and body["changed"] is True
    with_artifact(pending_style)
    response = patch(client, pending_style.pk, {"status": "completed", "progress": 100}, worker_headers)
    assert response.status_code == 200
    pending_style.refresh_from_db()
    assert pending_style.training_status == "completed" and pending_style.trained_at
    assert Style.objects.live().filter(pk=pending_style.pk).exists()
    note = Notification.objects.get(recipient=pending_style.artist)
    assert note.kind == "training_complete"
    assert note.message == "Your style model Fresh Set is ready!"
    assert note.link == pending_style.get_absolute_url()


def test_completed_without_artifact_is_refused(client, pending_style, worker_headers):
    patch(client, pending_style.pk, {"status": "training"}, worker_headers)
    response = patch(client, pending_style.pk, {"status": "completed"}, worker_headers)
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    pending_style.refresh_from_db()
    assert pending_style.training_status == "training"


def test_failure_keeps_reason_and_notifies_once(client, pending_style, worker_headers):
    report = {"status": "failed", "failure_reason": "Only 3 images share a style."}
    assert patch(client, pending_style.pk, report, worker_headers).status_code == 200
    again = patch(client, pending_style.pk, report, worker_headers)
    assert again.status_code == 200 and again.json()["changed"] is False
    pending_style.refresh_from_db()
    assert pending_style.failure_reason == "Only 3 images share a style."
    note = Notification.objects.get(recipient=pending_style.artist)
    assert note.message == "Training failed for Fresh Set. Only 3 images share a style."


def test_progress_never_goes_down(client, pending_style, worker_headers):
    patch(client, pending_style.pk, {"status": "training", "progress": 60}, worker_headers)
    body = patch(client, pending_style.pk, {"status": "training", "progress": 20}, worker_headers).json()
    assert body["progress"] == 60 and body["changed"] is False


STATUSES = ["pending", "training", "completed", "failed"]
ALLOWED = {("pending", "training"), ("pending", "failed"), ("training", "completed"), ("training", "failed")}


@pytest.mark.parametrize("current,reported", list(itertools.product(STATUSES, ["training", "completed", "failed"])))
def test_every_transition(client, make_style, worker_headers, with_artifact, current, reported):
    style = with_artifact(make_style(training_status=current))
    response = patch(client, style.pk, {"status": reported}, worker_headers)
    style.refresh_from_db()
    if current == reported:
        assert response.status_code == 200 and response.json()["changed"] is False
    elif (current, reported) in ALLOWED:
        assert response.status_code == 200 and style.training_status == reported
    else:
        assert response.status_code == 409, (current, reported)
        assert style.training_status == current
        assert not Notification.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_reporting_pending_is_not_a_report(client, pending_style, worker_headers):
    assert patch(client, pending_style.pk, {"status": "pending"}, worker_headers).status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        {"progress": 10},
        {"status": "training", "progress": 101},
        {"status": "training", "progress": "50"},
        {"status": "training", "progress": True},
        {"status": "failed", "failure_reason": 42},
        {"status": "training", "colour": "blue"},
    ],
)
def test_malformed_body_is_400(client, pending_style, worker_headers, body):
    response = patch(client, pending_style.pk, body, worker_headers)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request" and response.json()["error"]


def test_unknown_style_is_404(client, worker_headers):
    response = patch(client, 999999, {"status": "training"}, worker_headers)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_get_status_for_redelivery_checks(client, pending_style, worker_headers):
    response = client.get(status_url(pending_style.pk), **worker_headers)
    assert response.json() == {
        "id": pending_style.pk, "status": "pending", "progress": 0, "failure_reason": "", "has_artifact": False,
    }


def test_artifact_upload_and_download(client, pending_style, worker_headers):
    url = reverse("webhooks:model-artifact", args=[pending_style.pk])
    assert client.get(url, **worker_headers).status_code == 404
    response = client.put(url, data=b'{"palette": []}', content_type="application/json", **worker_headers)
    assert response.status_code == 200 and response.json()["has_artifact"] is True
    assert b"".join(client.get(url, **worker_headers).streaming_content) == b'{"palette": []}'
    assert client.put(url, data=b"x", content_type="application/octet-stream").status_code == 403


def test_artifact_is_final_once_training_ended(client, make_style, worker_headers):
    style = make_style(training_status="completed")
    url = reverse("webhooks:model-artifact", args=[style.pk])
    assert client.put(url, data=b"new", content_type="application/octet-stream", **worker_headers).status_code == 409


def test_training_images_need_the_token(client, pending_style, worker_headers):
    from django.core.files.base import ContentFile

    from marketplace.core.testing.imagefiles import png
    from marketplace.styles.models import TrainingImage

    image = TrainingImage(style=pending_style, position=0, width=512, height=512)
    image.image.save("t.png", ContentFile(png()), save=True)
    url = reverse("webhooks:training-image", args=[pending_style.pk, image.pk])
    assert client.get(url).status_code == 403
    response = client.get(url, **worker_headers)
    assert response.status_code == 200 and b"".join(response.streaming_content) == png()
    other = reverse("webhooks:training-image", args=[pending_style.pk + 1000, image.pk])
    assert client.get(other, **worker_headers).status_code == 404
