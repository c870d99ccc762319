"""Submit → RabbitMQ → the reference worker draws → webhooks → the image is there.

With AMQP_URL (CI) the real `python -m worker` process consumes real
RabbitMQ; without it, the embedded worker that `make run` uses.
"""

import io
import uuid

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from marketplace.core.testing import imagefiles, wait_until
from marketplace.generations.models import Generation
from marketplace.generations.services import generation_submit
from marketplace.ledger.models import LedgerEntry
from worker.signature import dump_signature, learn_signature


@pytest.fixture
def learnt_style(make_style):
    style = make_style(name="Teal Study", price_per_generation=2)
    signature = learn_signature([imagefiles.png(colour=(20, 140, 150)) for _ in range(3)])
    style.model_path.save(f"style-{style.pk}.json", ContentFile(dump_signature(signature)))
    return style


def finished(generation):
    def check():
        generation.refresh_from_db()
        return generation.status in {"completed", "failed"}

    return check


@pytest.mark.django_db(transaction=True)
def test_generation_is_drawn_at_its_size_and_the_same_seed_gives_the_same_bytes(
    reference_worker, make_user, learnt_style, fund
):
    buyer = fund(make_user(), 100)
    submitted = [
        generation_submit(
            user=buyer, style_id=learnt_style.pk, prompt_tags=["lighthouse", "dusk"], aspect_ratio="1:2",
            seed=1234, request_key=uuid.uuid4(),
        )
        for _ in range(2)
    ]
    for generation in submitted:
        wait_until(finished(generation), timeout=90)
        assert generation.status == "completed", generation.failure_reason
    first, second = (g.image.read() for g in submitted)
    assert Image.open(io.BytesIO(first)).size == (512, 1024)
    assert first == second  # the recorded seed reproduces the image byte for byte

    buyer.refresh_from_db()
    assert buyer.token_balance == 100 - 2 * 4
    assert LedgerEntry.objects.filter(kind="earn", user=learnt_style.artist).count() == 2
    assert Generation.objects.filter(status="completed").count() == 2
