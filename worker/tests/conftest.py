from __future__ import annotations

import io
import random

import pytest
from PIL import Image, ImageDraw


def picture(colour: tuple[int, int, int], *, seed: int = 0, size: int = 512, fmt: str = "PNG") -> bytes:
    """A picture mostly of `colour`, with a few lighter and darker patches so it has some texture."""
    rng = random.Random(seed)
    image = Image.new("RGB", (size, size), colour)
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y, side = rng.randrange(size), rng.randrange(size), rng.randrange(size // 16, size // 6)
        shade = rng.choice([0.6, 1.3])
        draw.rectangle((x, y, x + side, y + side), fill=tuple(min(255, int(c * shade)) for c in colour))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def red_pictures() -> list[bytes]:
    return [picture((200, 30, 30), seed=i, fmt="JPEG" if i % 2 else "PNG") for i in range(4)]


@pytest.fixture
def blue_pictures() -> list[bytes]:
    return [picture((30, 50, 200), seed=i) for i in range(4)]
