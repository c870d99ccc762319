"""Request ids, structured logs, job state-change lines and /metrics."""

import io
import json
import logging
import uuid

import pytest
import responses
from django.urls import reverse

from marketplace.core.requestid import HEADER, RequestIdFilter, current_request_id
from marketplace.generations.models import Generation
from marketplace.generations.services import generation_report, generation_submit
from marketplace.jobs.models import OutboxMessage
from worker.client import AtelierClient

pytestmark = pytest.mark.django_db


def test_every_response_carries_a_request_id(client):
    response = client.get(reverse("health"))
    assert len(response[HEADER]) == 32


def test_a_well_formed_incoming_request_id_is_kept_a_malformed_one_replaced(client):
    assert client.get(reverse("health"), HTTP_X_REQUEST_ID="nginx-4f2a9c1e")[HEADER] == "nginx-4f2a9c1e"
    replaced = client.get(reverse("health"), HTTP_X_REQUEST_ID="<script>")[HEADER]
    assert replaced != "<script>" and len(replaced) == 32


def test_json_log_lines_carry_the_request_id(settings):
    from pythonjsonlogger.json import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter(settings.LOGGING["formatters"]["json"]["fmt"],
                                       rename_fields=settings.LOGGING["formatters"]["json"]["rename_fields"]))
    log = logging.getLogger("atelier.test")
    log.addHandler(handler)
    try:
        log.warning("outside a request")
        log.warning("with an id", extra={"request_id": "abc12345"})
    finally:
        log.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "outside a request" and first["request_id"] == "-" and first["level"] == "WARNING"
    assert second["request_id"] == "abc12345" and "time" in second and second["logger"] == "atelier.test"


def test_production_logs_are_json_and_development_logs_plain(settings):
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["request_id"]
    assert "%(request_id)s" in settings.LOGGING["formatters"]["plain"]["format"]


def test_the_request_that_made_a_job_travels_in_its_message(client, user, trained_style, fund):
    fund(user, 100)
    client.force_login(user)
    response = client.post(
        reverse("generations:generate"),
        {"style": trained_style.pk, "tags": "fox", "aspect_ratio": "1:1", "request_key": str(uuid.uuid4()),
         "quoted_cost": "5"},
        HTTP_X_REQUEST_ID="req-from-nginx-1",
    )
    assert response.status_code == 302
    message = OutboxMessage.objects.get(queue="image_generation")
    assert message.payload["request_id"] == "req-from-nginx-1"
    assert current_request_id() == ""  # reset after the request


def test_jobs_made_outside_a_request_carry_no_request_id(user, trained_style, fund):
    fund(user, 100)
    generation_submit(user=user, style_id=trained_style.pk, prompt_tags=["fox"], aspect_ratio="1:1", seed=1,
                      request_key=uuid.uuid4())
    assert "request_id" not in OutboxMessage.objects.get().payload


@responses.activate
def test_the_worker_sends_the_jobs_request_id_back():
    responses.get("http://atelier.test/api/images/1/status", json={"status": "queued"})
    client = AtelierClient(token="t")
    client.request_id = "req-from-nginx-1"
    client.get_status("http://atelier.test/api/images/1/status")
    assert responses.calls[0].request.headers["X-Request-ID"] == "req-from-nginx-1"


def test_each_job_state_change_is_one_log_line(user, trained_style, fund, caplog):
    fund(user, 100)
    generation = generation_submit(user=user, style_id=trained_style.pk, prompt_tags=["fox"], aspect_ratio="1:1",
                                   seed=1, request_key=uuid.uuid4())
    with caplog.at_level(logging.INFO, logger="marketplace.jobs.lifecycle"):
        generation_report(generation_id=generation.pk, status="processing")
        generation_report(generation_id=generation.pk, status="processing", progress=50)  # progress: no line
        generation_report(generation_id=generation.pk, status="failed", failure_reason="GPU fell over")
    lines = [r for r in caplog.records if r.name == "marketplace.jobs.lifecycle"]
    assert [(r.job_kind, r.job_id, r.from_status, r.to_status) for r in lines] == [
        ("generation", generation.pk, "queued", "processing"),
        ("generation", generation.pk, "processing", "failed"),
    ]
    assert all(r.duration_s >= 0 for r in lines)
    assert lines[0].getMessage().startswith(f"job generation {generation.pk}: queued -> processing after ")


# --- /metrics ------------------------------------------------------------------------------------------


def scrape(client, token="s3cret-scrape"):
    return client.get(reverse("metrics"), HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def worker_headers(settings):
    settings.INTERNAL_API_TOKEN = "worker-secret"
    return {"HTTP_AUTHORIZATION": "Bearer worker-secret"}


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = "s3cret-scrape"


def test_metrics_need_the_token(client, metrics_token):
    assert client.get(reverse("metrics")).status_code == 401
    assert scrape(client, "wrong").status_code == 401
    assert scrape(client).status_code == 200


def test_without_a_token_metrics_are_open_only_in_development(client, settings):
    settings.METRICS_TOKEN = ""
    settings.DEBUG = False
    assert client.get(reverse("metrics")).status_code == 404
    settings.DEBUG = True
    assert client.get(reverse("metrics")).status_code == 200


def test_metrics_after_a_generation(client, metrics_token, user, trained_style, fund, worker_headers):
    fund(user, 100)
    client.force_login(user)
    client.get(reverse("community:feed"))
    generation = generation_submit(user=user, style_id=trained_style.pk, prompt_tags=["fox"], aspect_ratio="1:1",
                                   seed=1, request_key=uuid.uuid4())
    client.patch(reverse("webhooks:image-status", args=[generation.pk]), data={"status": "processing"},
                 content_type="application/json", **worker_headers)
    Generation.objects.create(user=user, style=trained_style, prompt="x", aspect_ratio="1:1", seed=2, cost=5)
    OutboxMessage.objects.create(queue="test_queue", payload={})

    text = scrape(client).content.decode()

    assert 'atelier_request_duration_seconds_count{method="GET",status="200",view="community:feed"}' in text
    assert 'atelier_jobs{kind="generation",status="processing"} 1.0' in text
    assert 'atelier_jobs{kind="generation",status="queued"} 1.0' in text
    assert 'atelier_queue_depth{queue="image_generation"} 1.0' in text
    assert 'atelier_jobs{kind="style",status="completed"} 1.0' in text
    assert 'atelier_outbox_unsent{measure="count",queue="test_queue"} 1.0' in text
    assert 'atelier_outbox_unsent{measure="oldest_age_seconds",queue="test_queue"}' in text
    assert 'atelier_ledger_movements{kind="consume",measure="tokens"} -5.0' in text
    assert 'atelier_worker_report_duration_seconds_count{kind="generation",outcome="ok"}' in text
