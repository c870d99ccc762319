from __future__ import annotations

import io
import random

import pytest
from PIL import Image, ImageDraw

from worker.diffusers_tests.tiny_base import build
from worker.engines.diffusers_lora import DiffusersEngine, Settings


def picture(colour: tuple[int, int, int], seed: int, size: int = 48) -> bytes:
    """A small picture of `colour` with lighter and darker squares, not square itself (the engine crops)."""
    rng = random.Random(seed)
    image = Image.new("RGB", (size + 16, size), colour)
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y, side = rng.randrange(size), rng.randrange(size), rng.randrange(4, 12)
        shade = rng.choice([0.5, 1.4])
        draw.rectangle((x, y, x + side, y + side), fill=tuple(min(255, int(c * shade)) for c in colour))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory) -> str:
    return str(build(tmp_path_factory.mktemp("tiny-base")))


@pytest.fixture(scope="session")
def settings(tiny_base) -> Settings:
    return Settings(base=tiny_base, device="cpu", fp16=False, steps=3, rank=4, learning_rate=1e-3, cache=2)


@pytest.fixture
def engine(settings) -> DiffusersEngine:
    return DiffusersEngine(settings)


@pytest.fixture(scope="session")
def ten_images() -> list[bytes]:
    return [picture((190, 60 + 10 * n, 40), seed=n) for n in range(10)]
