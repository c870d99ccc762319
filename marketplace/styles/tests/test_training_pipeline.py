"""Upload → RabbitMQ → the reference worker trains → webhooks → the style is live.

Runs the real `python -m worker` process against real RabbitMQ when AMQP_URL
is set (CI), otherwise the embedded worker that `make run` uses.
"""

import json

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.core.testing import wait_until
from marketplace.notifications.models import Notification
from marketplace.styles.models import Style
from marketplace.styles.services import style_create
from marketplace.styles.tests import imagefiles


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

    signature = json.loads(style.model_path.read())
    assert signature["kind"] == "atelier-reference-signature"
    red, green, blue = signature["palette"][0]["rgb"]  # learned from the images it fetched over HTTP
    assert red > 150 and green < 80 and blue < 80

    catalog = requests.get(f"{live_server.url}/styles/", timeout=10).text
    assert "Brick Red" in catalog
    assert Notification.objects.filter(recipient=artist, kind="training_complete").count() == 1
