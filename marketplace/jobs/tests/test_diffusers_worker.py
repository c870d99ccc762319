"""One whole job of each kind through the diffusers engine: RabbitMQ, the real consumer (`python -m worker
--engine diffusers` in the worker's own environment, where torch is) and the signed webhook API.

The base is the tiny pipeline the engine's own tests build (worker/diffusers_tests/tiny_base.py): real
PEFT training and real diffusion, in seconds on a CPU, nothing downloaded.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from marketplace.core.testing import imagefiles, wait_until, worker_process
from marketplace.generations.services import generation_submit
from marketplace.styles.services import style_create

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def worker_python() -> str:
    """The worker environment's Python (make test builds it: `make worker-env`)."""
    python = os.environ.get("ATELIER_WORKER_PYTHON") or str(ROOT / ".venv-worker/bin/python")
    if not Path(python).exists():
        pytest.skip(f"needs the worker's environment at {python}: run `make worker-env`")
    return python


@pytest.fixture(scope="session")
def tiny_base(worker_python, tmp_path_factory) -> str:
    directory = tmp_path_factory.mktemp("tiny-base")
    subprocess.run(
        [worker_python, "-m", "worker.diffusers_tests.tiny_base", str(directory)],
        cwd=ROOT, check=True, capture_output=True, timeout=300,
    )
    return str(directory)


def safetensors_metadata(data: bytes) -> dict:
    (length,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + length])["__metadata__"]


@pytest.mark.django_db(transaction=True)
def test_the_diffusers_worker_trains_a_lora_and_draws_with_it(
    rabbitmq, live_server, settings, worker_python, tiny_base, make_user, fund
):
    settings.SITE_URL = live_server.url
    settings.INTERNAL_API_TOKEN = "e2e-worker-token"
    artist = make_user(role="artist", display_name="Noa")
    style = style_create(
        artist=artist, name="Tiny Ink", description="", tags=["ink", "harbour"], price_per_generation=3,
        commercial_use=True, credit_required=False,
        files=[SimpleUploadedFile(f"ink{i}.png", imagefiles.png(colour=(30, 40, 10 * i))) for i in range(10)],
    )
    environment = {"ATELIER_DIFFUSERS_BASE": tiny_base, "ATELIER_DIFFUSERS_STEPS": "2"}
    with worker_process(settings, python=worker_python, engine="diffusers", env=environment):

        def trained():
            style.refresh_from_db()
            return style.training_status in {"completed", "failed"}

        wait_until(trained, timeout=240)
        assert style.training_status == "completed", style.failure_reason
        assert style.training_progress == 100
        config = json.loads(safetensors_metadata(style.model_path.read())["atelier"])
        assert config["kind"] == "atelier-diffusers-lora" and config["base"] == tiny_base
        assert config["image_count"] == 10 and set(config["caption"].split(", ")) == {"ink", "harbour"}

        buyer = fund(make_user(), 50)
        generation = generation_submit(
            user=buyer, style_id=style.pk, prompt_tags=["ink"], aspect_ratio="1:1", seed=99,
            request_key=uuid.uuid4(),
        )

        def drawn():
            generation.refresh_from_db()
            return generation.status in {"completed", "failed"}

        wait_until(drawn, timeout=240)
    assert generation.status == "completed", generation.failure_reason
    image = Image.open(io.BytesIO(generation.image.read()))
    assert image.format == "PNG" and image.size == (512, 512)
