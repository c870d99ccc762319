import pytest
from django.core.files.base import ContentFile


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
