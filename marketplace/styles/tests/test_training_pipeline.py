"""Upload → RabbitMQ → the reference worker trains → webhooks → the style is live.

Runs the real `python -m worker` process against real RabbitMQ when AMQP_URL
is set (CI), otherwise the embedded worker that `make run` uses.
"""

import base64
import io
import json

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageStat

from marketplace.core.testing import imagefiles, wait_until
from marketplace.notifications.models import Notification
from marketplace.styles.services import style_create


@pytest.mark.django_db(transaction=True)
def test_uploaded_set_is_trained_and_goes_live(reference_worker, live_server, make_user):
    artist = make_user(role="artist", display_name="Noa")
    uploads = [SimpleUploadedFile(f"red{i}.png", imagefiles.png(colour=(200, 30, 40))) for i in range(10)]
    style = style_create(
        artist=artist, name="Brick Red", description="", tags=["red"], price_per_generation=3,
        commercial_use=True, credit_required=False, files=uploads,
    )

    def trained():
        style.refresh_from_db()
        return style.training_status in {"completed", "failed"}

    wait_until(trained, timeout=90)
    assert style.training_status == "completed", style.failure_reason
    assert style.training_progress == 100 and style.trained_at

    artefact = json.loads(style.model_path.read())
    assert artefact["kind"] == "atelier-reference-patches" and artefact["image_count"] == 10
    atlas = Image.open(io.BytesIO(base64.b64decode(artefact["atlas_png"]))).convert("RGB")
    red, green, blue = ImageStat.Stat(atlas).mean  # patches cut from the images it fetched over HTTP
    assert red > 150 and green < 80 and blue < 80

    catalog = requests.get(f"{live_server.url}/styles/", timeout=10).text
    assert "Brick Red" in catalog
    assert Notification.objects.filter(recipient=artist, kind="training_complete").count() == 1


@pytest.mark.django_db(transaction=True)
def test_upload_while_broker_is_down_is_delivered_when_it_is_back(rabbitmq, settings, make_user):
    """RabbitMQ really stops during an upload: the artist's upload still succeeds, the message waits in
    the outbox, and the dispatcher delivers it once the broker is back. Nothing is lost."""
    import io
    import subprocess
    import time
    from pathlib import Path

    import jsonschema
    import pika
    from django.core.management import call_command
    from django.utils import timezone

    from marketplace.jobs.models import OutboxMessage

    artist = make_user(role="artist")
    rabbitmq.connection.close()
    subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=120)
    try:
        started = time.monotonic()
        style = style_create(
            artist=artist, name="Offline", description="", tags=[], price_per_generation=3, commercial_use=True,
            credit_required=False, files=[SimpleUploadedFile(f"o{i}.png", imagefiles.png()) for i in range(10)],
        )
        upload_seconds = time.monotonic() - started
        message = OutboxMessage.objects.get()
        assert message.sent_at is None and message.attempts == 1
        assert style.training_status == "pending"
    finally:
        subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=120)
        subprocess.run(["rabbitmqctl", "await_startup"], check=True, capture_output=True, timeout=120)
    print(f"upload with the broker down took {upload_seconds:.2f} s")
    assert upload_seconds < 10

    OutboxMessage.objects.update(next_attempt_at=timezone.now())  # skip the backoff wait
    call_command("run_dispatcher", "--once", stdout=io.StringIO())
    channel = pika.BlockingConnection(pika.URLParameters(settings.AMQP_URL)).channel()
    method, _properties, body = channel.basic_get("model_training", auto_ack=True)
    channel.connection.close()
    payload = json.loads(body)
    schema = json.loads((Path(settings.BASE_DIR) / "docs/schemas/training-message.v1.json").read_text())
    jsonschema.validate(payload, schema)
    assert payload["style_id"] == style.pk
    assert OutboxMessage.objects.get().sent_at is not None
