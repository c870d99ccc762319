"""The worker API's limit, per token: the job token (else the deprecated bearer token) is counted, and a
refused call is answered in JSON before its signature is checked, so its webhook-id is not spent."""

import json

import pytest
from django.urls import reverse

from marketplace.core.testing.ratelimit import refused_json, tighten
from marketplace.jobs.signing import GENERATION, job_token
from worker.signing import signed_headers

pytestmark = pytest.mark.django_db

SECRET = "whsec_" + "cmF0ZS1saW1pdHMtZm9yLXdvcmtlcnM="


@pytest.fixture(autouse=True)
def limits(settings):
    tighten(settings, worker="2/m")
    settings.WORKER_WEBHOOK_SECRETS = [SECRET]


def token_for(generation):
    return job_token(kind=GENERATION, job_id=generation.pk, style_id=generation.style_id)


def report(client, generation, body, **headers):
    raw = json.dumps(body).encode()
    headers = signed_headers(SECRET, raw) | {"Atelier-Job-Token": token_for(generation)} | headers
    url = reverse("webhooks:image-status", args=[generation.pk])
    return client.patch(url, data=raw, content_type="application/json", headers=headers)


def test_a_job_token_past_the_limit_gets_json_429_and_changes_nothing(client, generation):
    assert report(client, generation, {"status": "processing", "progress": 10}).status_code == 200
    assert client.get(
        reverse("webhooks:image-status", args=[generation.pk]),
        headers=signed_headers(SECRET, b"") | {"Atelier-Job-Token": token_for(generation)},
    ).status_code == 200  # reads count too

    payload = refused_json(report(client, generation, {"status": "processing", "progress": 50}))
    assert 0 < payload["retry_after"] <= 60 and payload["error"].startswith("You are doing that too often.")
    generation.refresh_from_db()
    assert generation.progress == 10


def test_another_jobs_token_has_its_own_count(client, generation, user, trained_style):
    import uuid

    from marketplace.generations.services import generation_submit

    for progress in (10, 20):
        assert report(client, generation, {"status": "processing", "progress": progress}).status_code == 200
    assert report(client, generation, {"status": "processing", "progress": 30}).status_code == 429
    other = generation_submit(
        user=user, style_id=trained_style.pk, prompt_tags=["owl"], aspect_ratio="1:1", seed=3,
        request_key=uuid.uuid4(),
    )
    assert report(client, other, {"status": "processing", "progress": 10}).status_code == 200


def test_a_refused_call_does_not_spend_its_webhook_id(client, generation, settings):
    for progress in (10, 20):
        report(client, generation, {"status": "processing", "progress": progress})
    raw = json.dumps({"status": "processing", "progress": 30}).encode()
    headers = signed_headers(SECRET, raw) | {"Atelier-Job-Token": token_for(generation)}
    url = reverse("webhooks:image-status", args=[generation.pk])
    assert client.patch(url, data=raw, content_type="application/json", headers=headers).status_code == 429
    tighten(settings, worker="10/m")  # the operator raises the limit; the worker retries the same message
    assert client.patch(url, data=raw, content_type="application/json", headers=headers).status_code == 200


def test_the_deprecated_bearer_token_is_counted_too(client, style, worker_headers, settings):
    settings.WORKER_ACCEPT_BEARER = True
    url = reverse("webhooks:model-status", args=[style.pk])
    assert [client.get(url, **worker_headers).status_code for _ in range(2)] == [200, 200]
    refused_json(client.get(url, **worker_headers))
