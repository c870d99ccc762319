"""A simple, engine-blind description of how a picture looks: colour and texture histograms (Pillow only).

- colour: a joint RGB histogram, 4 levels per channel (64 bins);
- texture: rotation-invariant uniform local binary patterns (10 bins), gradient orientation weighted by
  strength (8 bins, unsigned) and gradient strength (6 bins).

Each part is normalised to sum 1; two pictures (or a picture and a training set's mean) are compared by the
chi-squared distance of each part, summed. Nothing here knows how the pictures were made.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from PIL import Image, ImageFilter

SIDE = 128
PARTS = ("colour", "lbp", "orientation", "strength")
_NEIGHBOURS = [(-1, -1), (0, -1), (1, -1), (1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0)]
_SOBEL_X = ImageFilter.Kernel((3, 3), [-1, 0, 1, -2, 0, 2, -1, 0, 1], scale=8, offset=128)
_SOBEL_Y = ImageFilter.Kernel((3, 3), [-1, -2, -1, 0, 0, 0, 1, 2, 1], scale=8, offset=128)
STRENGTH_EDGES = (2, 6, 12, 24, 48)  # in Sobel units / 8: flat, faint, soft, clear, strong, hard edges


def _normalised(counts: list[float]) -> list[float]:
    total = sum(counts) or 1.0
    return [value / total for value in counts]


def _open(picture: bytes | Image.Image) -> Image.Image:
    image = picture if isinstance(picture, Image.Image) else Image.open(io.BytesIO(picture))
    image = image.convert("RGB")
    image.thumbnail((SIDE, SIDE), Image.Resampling.BILINEAR)
    return image


def _lbp(grey: Image.Image) -> list[float]:
    width, height = grey.size
    pixels = grey.load()
    counts = [0] * 10
    for y in range(1, height - 1):
        for x in range(1, width - 1):
            centre = pixels[x, y]
            bits = [1 if pixels[x + dx, y + dy] >= centre else 0 for dx, dy in _NEIGHBOURS]
            transitions = sum(bits[i] != bits[(i + 1) % 8] for i in range(8))
            counts[sum(bits) if transitions <= 2 else 9] += 1
    return _normalised(counts)


def _gradients(grey: Image.Image) -> tuple[list[float], list[float]]:
    gx, gy = grey.filter(_SOBEL_X).get_flattened_data(), grey.filter(_SOBEL_Y).get_flattened_data()
    orientation, strength = [0.0] * 8, [0] * (len(STRENGTH_EDGES) + 1)
    width, height = grey.size
    for index, (x, y) in enumerate(zip(gx, gy, strict=True)):
        if index < width or index >= width * (height - 1) or index % width in (0, width - 1):
            continue  # Pillow leaves the outermost pixels unfiltered
        dx, dy = x - 128, y - 128
        magnitude = math.hypot(dx, dy)
        strength[sum(magnitude >= edge for edge in STRENGTH_EDGES)] += 1
        if magnitude >= STRENGTH_EDGES[0]:
            angle = math.atan2(dy, dx) % math.pi
            orientation[min(int(angle / math.pi * 8), 7)] += magnitude
    return _normalised(orientation), _normalised(strength)


def describe(picture: bytes | Image.Image) -> dict[str, list[float]]:
    image = _open(picture)
    colour = [0] * 64
    for r, g, b in image.get_flattened_data():
        colour[(r >> 6) * 16 + (g >> 6) * 4 + (b >> 6)] += 1
    grey = image.convert("L")
    orientation, strength = _gradients(grey)
    return {"colour": _normalised(colour), "lbp": _lbp(grey), "orientation": orientation, "strength": strength}


def mean(descriptions: Sequence[dict[str, list[float]]]) -> dict[str, list[float]]:
    return {
        part: [sum(values) / len(descriptions) for values in zip(*(d[part] for d in descriptions), strict=True)]
        for part in PARTS
    }


def distance(a: dict[str, list[float]], b: dict[str, list[float]]) -> float:
    total = 0.0
    for part in PARTS:
        total += sum((x - y) ** 2 / (x + y) for x, y in zip(a[part], b[part], strict=True) if x + y > 0) / 2
    return total
