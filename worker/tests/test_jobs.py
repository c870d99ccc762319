"""The worker's side of the protocol, against Atelier's endpoints faked with `responses`."""

import io
import json

import pytest
import responses
from PIL import Image

from worker.client import AtelierClient, RetriableError
from worker.jobs import MalformedMessage, handle_generation, handle_training
from worker.patches import learn

BASE = "https://atelier.test"
TOKEN = "s3cret-worker-token"
STATUS = f"{BASE}/api/models/17/status"
ARTIFACT = f"{BASE}/api/models/17/artifact"
IMAGES = [f"{BASE}/api/models/17/training-images/{n}" for n in (101, 102, 103)]
GEN_STATUS = f"{BASE}/api/images/512/status"
GEN_UPLOAD = f"{BASE}/api/images/512/image"


@pytest.fixture
def client():
    return AtelierClient(TOKEN)


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def training_message(**fields):
    return {
        "version": 1,
        "type": "training",
        "style_id": 17,
        "image_paths": ["training/a.png", "training/b.jpg", "training/c.png"],
        "image_urls": IMAGES,
        "num_epochs": 10,
        "webhook_url": STATUS,
        "artifact_url": ARTIFACT,
        **fields,
    }


def generation_message(**fields):
    return {
        "version": 1,
        "type": "generation",
        "generation_id": 512,
        "style_id": 17,
        "lora_path": "models/style-17.json",
        "lora_url": ARTIFACT,
        "prompt": "fox, snow, dusk",
        "prompt_tags": ["fox", "snow", "dusk"],
        "aspect_ratio": "1:2",
        "width": 512,
        "height": 1024,
        "seed": 1234567,
        "webhook_url": GEN_STATUS,
        "image_upload_url": GEN_UPLOAD,
        **fields,
    }


def calls(api):
    return [(call.request.method, call.request.url) for call in api.calls]


def patches(api):
    return [json.loads(call.request.body) for call in api.calls if call.request.method == "PATCH"]


def test_training_happy_path_follows_the_protocol(api, client, red_pictures):
    api.get(STATUS, json={"id": 17, "status": "pending", "progress": 0})
    api.patch(STATUS, json={"id": 17, "changed": True})
    for url, data in zip(IMAGES, red_pictures, strict=False):
        api.get(url, body=data, content_type="image/png")
    api.put(ARTIFACT, json={"stored": True})

    assert handle_training(training_message(), client) == "completed"

    sequence = calls(api)
    assert sequence[:2] == [("GET", STATUS), ("PATCH", STATUS)]
    assert [url for method, url in sequence if method == "GET"] == [STATUS, *IMAGES]
    assert sequence[-2:] == [("PUT", ARTIFACT), ("PATCH", STATUS)]
    sent = patches(api)
    assert sent[0] == {"status": "training", "progress": 0}
    assert sent[-1] == {"status": "completed", "progress": 100}
    progress = [body["progress"] for body in sent[1:-1]]
    assert 2 <= len(progress) <= 6 and progress == sorted(progress) and all(0 < p < 100 for p in progress)
    assert all(body["status"] == "training" for body in sent[1:-1])
    for call in api.calls:
        assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert TOKEN not in call.request.url
    upload = api.calls[len(api.calls) - 2].request
    assert upload.headers["Content-Type"] == "application/json"
    artefact = json.loads(upload.body)
    assert artefact["kind"] == "atelier-reference-patches" and artefact["image_count"] == 3


@pytest.mark.parametrize("status", ["completed", "failed"])
def test_finished_training_is_skipped(api, client, status):
    api.get(STATUS, json={"id": 17, "status": status, "progress": 100})

    assert handle_training(training_message(), client) == "skipped"

    assert calls(api) == [("GET", STATUS)]


def test_unreadable_training_image_fails_the_job_with_a_reason(api, client, red_pictures):
    api.get(STATUS, json={"id": 17, "status": "training", "progress": 10})
    api.patch(STATUS, json={"changed": True})
    api.get(IMAGES[0], body=red_pictures[0])
    api.get(IMAGES[1], body=b"GIF89a truncated garbage")
    api.get(IMAGES[2], body=red_pictures[2])

    assert handle_training(training_message(), client) == "failed"

    assert "PUT" not in [method for method, _ in calls(api)]
    failed = patches(api)[-1]
    assert failed["status"] == "failed"
    assert "Image 2 of 3 could not be read" in failed["failure_reason"]


def test_training_that_timed_out_meanwhile_is_dropped(api, client, red_pictures):
    api.get(STATUS, json={"id": 17, "status": "training", "progress": 40})
    api.patch(STATUS, json={"changed": True})
    for url, data in zip(IMAGES, red_pictures, strict=False):
        api.get(url, body=data)
    api.put(ARTIFACT, status=409, json={"error": "This training already ended.", "code": "conflict"})

    assert handle_training(training_message(), client) == "gone"

    assert calls(api)[-1] == ("PUT", ARTIFACT)


def test_server_error_is_left_to_the_caller_to_retry(api, client):
    api.get(STATUS, status=503, json={"error": "Try again.", "code": "unavailable"})

    with pytest.raises(RetriableError, match="HTTP 503"):
        handle_training(training_message(), client)


def test_message_without_its_urls_is_malformed(client):
    with pytest.raises(MalformedMessage, match="image_urls"):
        handle_training(training_message(image_urls=None), client)
    with pytest.raises(MalformedMessage, match="version"):
        handle_generation(generation_message(version=2), client)


def test_generation_happy_path_uploads_a_png_of_the_right_size(api, client, red_pictures):
    api.get(GEN_STATUS, json={"id": 512, "status": "queued", "progress": 0})
    api.patch(GEN_STATUS, json={"changed": True})
    api.get(ARTIFACT, body=learn(red_pictures), content_type="application/json")
    api.put(GEN_UPLOAD, json={"stored": True})

    assert handle_generation(generation_message(), client) == "completed"

    assert calls(api)[:3] == [("GET", GEN_STATUS), ("PATCH", GEN_STATUS), ("GET", ARTIFACT)]
    assert calls(api)[-2:] == [("PUT", GEN_UPLOAD), ("PATCH", GEN_STATUS)]
    assert patches(api)[0] == {"status": "processing", "progress": 0}
    assert patches(api)[-1] == {"status": "completed", "progress": 100}
    upload = api.calls[len(api.calls) - 2].request
    assert upload.headers["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(upload.body)).size == (512, 1024)


def test_an_aspect_ratio_outside_the_protocol_fails_the_job_with_its_reason(api, client):
    api.get(GEN_STATUS, json={"id": 512, "status": "queued", "progress": 0})
    api.patch(GEN_STATUS, json={"changed": True})

    assert handle_generation(generation_message(aspect_ratio="3:4"), client) == "failed"

    assert patches(api)[-1]["status"] == "failed" and "'3:4'" in patches(api)[-1]["failure_reason"]
    assert ("GET", ARTIFACT) not in calls(api)


def test_generation_cancelled_before_processing_is_not_drawn(api, client):
    api.get(GEN_STATUS, json={"id": 512, "status": "queued", "progress": 0})
    api.patch(GEN_STATUS, status=409, json={"error": "This generation was cancelled.", "code": "conflict"})

    assert handle_generation(generation_message(), client) == "gone"

    assert calls(api) == [("GET", GEN_STATUS), ("PATCH", GEN_STATUS)]


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled"])
def test_finished_generation_is_skipped(api, client, status):
    api.get(GEN_STATUS, json={"id": 512, "status": status})

    assert handle_generation(generation_message(), client) == "skipped"

    assert calls(api) == [("GET", GEN_STATUS)]


def test_artefact_that_is_not_a_signature_fails_the_generation(api, client):
    api.get(GEN_STATUS, json={"id": 512, "status": "queued"})
    api.patch(GEN_STATUS, json={"changed": True})
    api.get(ARTIFACT, body=b"\x00safetensors\x00", content_type="application/octet-stream")

    assert handle_generation(generation_message(), client) == "failed"

    assert "PUT" not in [method for method, _ in calls(api)]
    assert patches(api)[-1] == {
        "status": "failed",
        "failure_reason": "This style's trained model could not be read; the style needs training again.",
    }


def test_image_over_the_size_limit_fails_the_generation(api, client, red_pictures):
    api.get(GEN_STATUS, json={"id": 512, "status": "queued"})
    api.patch(GEN_STATUS, json={"changed": True})
    api.get(ARTIFACT, body=learn(red_pictures))
    api.put(GEN_UPLOAD, status=413, json={"error": "Too large.", "code": "too_large"})

    assert handle_generation(generation_message(), client) == "failed"

    assert patches(api)[-1]["status"] == "failed"
    assert "larger than Atelier accepts" in patches(api)[-1]["failure_reason"]
