import uuid

import pytest
from django.core.files.base import ContentFile

from marketplace.generations.services import generation_submit


@pytest.fixture
def worker_headers(settings):
    settings.INTERNAL_API_TOKEN = "worker-secret"
    return {"HTTP_AUTHORIZATION": "Bearer worker-secret"}


@pytest.fixture
def pending_style(make_style):
    return make_style(name="Fresh Set", training_status="pending")


@pytest.fixture
def with_artifact():
    def attach(style):
        style.refresh_from_db()
        style.model_path.save(f"style-{style.pk}.bin", ContentFile(b'{"kind": "sig"}'))
        return style

    return attach


@pytest.fixture
def generation(user, trained_style, fund):
    fund(user, 100)
    return generation_submit(
        user=user, style_id=trained_style.pk, prompt_tags=["fox"], aspect_ratio="1:1", seed=7,
        request_key=uuid.uuid4(),
    )
