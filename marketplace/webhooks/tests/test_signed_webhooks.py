"""Signed (Standard Webhooks) and job-scoped calls to the worker API, and its JSON errors."""

import json
import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from marketplace.jobs.signing import GENERATION, TRAINING, job_token, message_headers
from worker.signing import SignatureInvalid, signed_headers, verify

pytestmark = pytest.mark.django_db

SECRET = "whsec_" + "c2lnbmluZy1zZWNyZXQtZm9yLXRlc3Rz"  # the Standard Webhooks form of a secret


@pytest.fixture(autouse=True)
def signing(settings):
    settings.WORKER_WEBHOOK_SECRETS = [SECRET]
    settings.WORKER_ACCEPT_BEARER = False
    settings.INTERNAL_API_TOKEN = "worker-secret"
    cache.clear()


def training_token(style):
    return job_token(kind=TRAINING, job_id=style.pk, style_id=style.pk)


def call(client, method, url, body=b"", *, token, secret=SECRET, content_type="application/json", now=None, **extra):
    headers = signed_headers(secret, body, now=now)
    if token:
        headers["Atelier-Job-Token"] = token
    return getattr(client, method)(url, data=body, content_type=content_type, headers=headers, **extra)


def report(client, style, body, **kwargs):
    kwargs.setdefault("token", training_token(style))
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return call(client, "patch", reverse("webhooks:model-status", args=[style.pk]), raw, **kwargs)


def refused(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == code
    return True


@pytest.fixture
def style(make_style):
    return make_style(name="Signed Set", training_status="pending")


def test_a_signed_report_with_its_job_token_is_accepted(client, style):
    response = report(client, style, {"status": "training", "progress": 5})
    assert response.status_code == 200 and response.json()["changed"] is True
    style.refresh_from_db()
    assert style.training_status == "training"


def test_a_bad_signature_is_refused_and_changes_nothing(client, style):
    assert refused(report(client, style, {"status": "training"}, secret="someone-else"), 403, "bad_signature")
    headers = signed_headers(SECRET, b'{"status":"failed"}') | {"Atelier-Job-Token": training_token(style)}
    tampered = client.patch(
        reverse("webhooks:model-status", args=[style.pk]), data=b'{"status":"training"}',
        content_type="application/json", headers=headers,
    )
    assert refused(tampered, 403, "bad_signature")
    style.refresh_from_db()
    assert style.training_status == "pending"


def test_a_stale_or_future_timestamp_is_refused(client, style):
    six_minutes = 6 * 60
    assert refused(report(client, style, {"status": "training"}, now=time.time() - six_minutes), 403, "stale_timestamp")
    assert refused(report(client, style, {"status": "training"}, now=time.time() + six_minutes), 403, "stale_timestamp")
    assert report(client, style, {"status": "training"}, now=time.time() - 4 * 60).status_code == 200


def test_a_replayed_webhook_id_is_refused(client, style):
    body = json.dumps({"status": "training", "progress": 10}).encode()
    headers = signed_headers(SECRET, body) | {"Atelier-Job-Token": training_token(style)}
    url = reverse("webhooks:model-status", args=[style.pk])
    first = client.patch(url, data=body, content_type="application/json", headers=headers)
    again = client.patch(url, data=body, content_type="application/json", headers=headers)
    assert first.status_code == 200
    assert refused(again, 403, "replayed")


def test_rotation_accepts_the_old_secret_and_signs_with_the_new(client, style, settings):
    settings.WORKER_WEBHOOK_SECRETS = ["new-secret", SECRET]
    assert report(client, style, {"status": "training"}, secret=SECRET).status_code == 200
    assert report(client, style, {"status": "training", "progress": 9}, secret="new-secret").status_code == 200
    headers = message_headers(b'{"x":1}', message_id="outbox-1")
    assert verify(["new-secret"], headers, b'{"x":1}') == "outbox-1"
    with pytest.raises(SignatureInvalid):
        verify([SECRET], headers, b'{"x":1}')
    settings.WORKER_WEBHOOK_SECRETS = ["new-secret"]  # the old one retired: refused
    assert refused(report(client, style, {"status": "training", "progress": 20}, secret=SECRET), 403, "bad_signature")


def test_a_job_token_for_another_job_is_refused(client, style, make_style, generation):
    other = make_style(name="Someone Else's", training_status="pending")
    assert refused(report(client, other, {"status": "failed"}, token=training_token(style)), 403, "wrong_job")
    other.refresh_from_db()
    assert other.training_status == "pending"
    # A generation's token reaches that image and its style's model, nothing else.
    gen_token = job_token(kind=GENERATION, job_id=generation.pk, style_id=generation.style_id)
    other_gen = job_token(kind=GENERATION, job_id=generation.pk + 1000, style_id=generation.style_id)
    status = reverse("webhooks:image-status", args=[generation.pk])
    assert call(client, "get", status, token=gen_token).status_code == 200
    assert refused(call(client, "get", status, token=other_gen), 403, "wrong_job")
    assert refused(call(client, "patch", status, b'{"status":"failed"}', token=other_gen), 403, "wrong_job")
    upload = reverse("webhooks:image-upload", args=[generation.pk])
    assert refused(call(client, "put", upload, b"x", token=other_gen, content_type="image/png"), 403, "wrong_job")
    artifact = reverse("webhooks:model-artifact", args=[generation.style_id])
    assert call(client, "get", artifact, token=gen_token).status_code == 200
    assert refused(call(client, "put", artifact, b"{}", token=gen_token), 403, "wrong_job")
    assert refused(call(client, "get", reverse("webhooks:model-status", args=[style.pk]), token=gen_token),
                   403, "wrong_job")
    # ...and a training token is no generation's.
    assert refused(call(client, "get", status, token=training_token(style)), 403, "wrong_job")


def test_a_signed_call_needs_a_valid_job_token(client, style):
    assert refused(report(client, style, {"status": "training"}, token=""), 403, "wrong_job")
    assert refused(report(client, style, {"status": "training"}, token="forged:token"), 403, "wrong_job")
    forged = job_token(kind=TRAINING, job_id=style.pk, style_id=style.pk)[:-2] + "xx"
    assert refused(report(client, style, {"status": "training"}, token=forged), 403, "wrong_job")


def test_training_images_only_for_their_training(client, style, make_style):
    image = style.training_images.create(position=0, image="training/a.png")
    url = reverse("webhooks:training-image", args=[style.pk, image.pk])
    other = make_style(name="Other")
    assert refused(call(client, "get", url, token=training_token(other)), 403, "wrong_job")


def test_the_deprecated_bearer_token_works_only_when_enabled(client, style, settings):
    url = reverse("webhooks:model-status", args=[style.pk])
    bearer = {"Authorization": "Bearer worker-secret"}
    assert refused(client.get(url, headers=bearer), 403, "forbidden")
    settings.WORKER_ACCEPT_BEARER = True
    assert client.get(url, headers=bearer).status_code == 200
    # A job token sent with it is still held to its job.
    wrong = job_token(kind=TRAINING, job_id=style.pk + 1000, style_id=style.pk + 1000)
    assert refused(client.get(url, headers=bearer | {"Atelier-Job-Token": wrong}), 403, "wrong_job")
    settings.INTERNAL_API_TOKEN = ""  # no token configured: nothing matches
    assert refused(client.get(url, headers={"Authorization": "Bearer "}), 403, "forbidden")


def test_a_signed_upload_is_verified_over_the_streamed_body(client, make_style):
    style = make_style(name="Uploading", training_status="training")
    artifact = reverse("webhooks:model-artifact", args=[style.pk])
    body = json.dumps({"kind": "atelier-reference-signature"}).encode()
    assert call(client, "put", artifact, body, token=training_token(style)).status_code == 200
    style.refresh_from_db()
    assert style.model_path.read() == body
    headers = signed_headers(SECRET, body) | {"Atelier-Job-Token": training_token(style)}
    tampered = client.put(artifact, data=body + b" ", content_type="application/json", headers=headers)
    assert refused(tampered, 403, "bad_signature")


def test_a_signed_upload_over_the_limit_is_a_json_413_before_reading(client, make_style, generation):
    style = make_style(name="Too Big", training_status="training")
    artifact = reverse("webhooks:model-artifact", args=[style.pk])
    response = call(client, "put", artifact, b"x" * 10, token=training_token(style),
                    content_type="application/octet-stream", CONTENT_LENGTH=str(600 * 1024 * 1024))
    assert refused(response, 413, "too_large")
    upload = reverse("webhooks:image-upload", args=[generation.pk])
    gen_token = job_token(kind=GENERATION, job_id=generation.pk, style_id=generation.style_id)
    response = call(client, "put", upload, b"x" * 10, token=gen_token, content_type="image/png",
                    CONTENT_LENGTH=str(21 * 1024 * 1024))
    assert refused(response, 413, "too_large")


# --- Every error is JSON with a stable code ---------------------------------------------


def test_unknown_job_is_a_json_404(client, settings):
    settings.WORKER_ACCEPT_BEARER = True
    bearer = {"Authorization": "Bearer worker-secret"}
    response = client.get(reverse("webhooks:model-status", args=[987654]), headers=bearer)
    assert refused(response, 404, "not_found")
    response = client.get(reverse("webhooks:model-artifact", args=[987654]), headers=bearer)
    assert refused(response, 404, "not_found")
    assert refused(client.get("/api/models/not-a-number/status"), 404, "not_found")
    assert refused(client.get("/api/nothing-here"), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [("delete", "model-status", [1]), ("post", "model-artifact", [1]), ("post", "training-image", [1, 2]),
     ("put", "image-status", [1]), ("get", "image-upload", [1])],
)
def test_a_wrong_method_is_a_json_405(client, method, name, args):
    response = getattr(client, method)(reverse(f"webhooks:{name}", args=args))
    assert refused(response, 405, "method_not_allowed")
    assert response["Allow"]


def test_malformed_and_deeply_nested_json_are_400(client, style):
    assert refused(report(client, style, b"{not json"), 400, "bad_request")
    nested = b"[" * 10_000 + b"]" * 10_000
    assert refused(report(client, style, nested), 400, "bad_request")
    deep_object = b'{"status": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    assert refused(report(client, style, deep_object), 400, "bad_request")
