"""The training sets the fidelity benchmark learns from: every demo style's own set (as `make run` seeds it),
and eight made here that differ in palette, in texture, or in one of the two only."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator

from PIL import Image, ImageColor, ImageDraw, ImageFilter

from marketplace.core.demo import art, content

SIZE = (512, 512)
IMAGES_PER_SET = 10
Palette = list[tuple[int, int, int]]


def _palette(*codes: str) -> Palette:
    return [ImageColor.getrgb(code)[:3] for code in codes]


def stripes(rng: random.Random, palette: Palette) -> Image.Image:
    image = Image.new("RGB", SIZE, palette[0])
    draw = ImageDraw.Draw(image)
    width, angle = rng.uniform(14, 30), rng.uniform(0.5, 1.1)
    dx, dy = math.cos(angle), math.sin(angle)
    for k in range(-60, 60):
        offset = k * width * 2
        x0, y0 = offset * -dy, offset * dx
        points = [(x0 - 2000 * dx, y0 - 2000 * dy), (x0 + 2000 * dx, y0 + 2000 * dy)]
        points += [(x + width * -dy, y + width * dx) for x, y in reversed(points)]
        draw.polygon(points, fill=palette[1 + k % (len(palette) - 1)])
    return image


def halftone(rng: random.Random, palette: Palette) -> Image.Image:
    image = Image.new("RGB", SIZE, palette[0])
    draw = ImageDraw.Draw(image)
    step, phase = rng.uniform(12, 20), rng.uniform(0, 6)
    for row in range(int(SIZE[1] / step) + 2):
        for col in range(int(SIZE[0] / step) + 2):
            r = step * 0.45 * (0.5 + 0.5 * math.sin(col * 0.3 + row * 0.2 + phase))
            x, y = col * step, row * step
            draw.ellipse((x - r, y - r, x + r, y + r), fill=palette[1 + (row + col) % (len(palette) - 1)])
    return image


def stipple(rng: random.Random, palette: Palette) -> Image.Image:
    image = Image.new("RGB", SIZE, palette[0])
    pixels = image.load()
    for _ in range(45_000):
        x, y = rng.randrange(SIZE[0]), rng.randrange(SIZE[1])
        pixels[x, y] = rng.choice(palette[1:])
    return image


def hatching(rng: random.Random, palette: Palette) -> Image.Image:
    image = Image.new("RGB", SIZE, palette[0])
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(2, 3)):
        angle, gap = rng.uniform(0, math.pi), rng.uniform(6, 11)
        dx, dy = math.cos(angle), math.sin(angle)
        colour = rng.choice(palette[1:])
        for k in range(-80, 80):
            cx, cy = 256 + k * gap * -dy, 256 + k * gap * dx
            draw.line((cx - 800 * dx, cy - 800 * dy, cx + 800 * dx, cy + 800 * dy), fill=colour, width=1)
    return image


def mosaic(rng: random.Random, palette: Palette) -> Image.Image:
    image = Image.new("RGB", SIZE, palette[0])
    draw = ImageDraw.Draw(image)
    tile = rng.randint(28, 44)
    for y in range(0, SIZE[1], tile):
        for x in range(0, SIZE[0], tile):
            draw.rectangle((x + 3, y + 3, x + tile - 3, y + tile - 3), fill=rng.choice(palette[1:]))
    return image


def soft_blobs(rng: random.Random, palette: Palette) -> Image.Image:
    image = Image.new("RGB", SIZE, palette[0])
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(6, 10)):
        x, y, r = rng.uniform(0, 512), rng.uniform(0, 512), rng.uniform(60, 160)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=rng.choice(palette[1:]))
    return image.filter(ImageFilter.GaussianBlur(24))


TEAL_ORANGE = _palette("#0f4c5c", "#e36414", "#fb8b24", "#5f0f40")
PASTEL = _palette("#fdf0d5", "#ffafcc", "#a2d2ff", "#cdb4db")
SEPIA = _palette("#f1e3c6", "#704214", "#a0522d", "#3b2414")
INK_BLUE = _palette("#fbfbf8", "#14213d", "#274c77")
YELLOW_BLACK = _palette("#ffd60a", "#000814", "#003566")
TERRACOTTA = _palette("#e9d8a6", "#bb3e03", "#ca6702", "#9b2226", "#005f73")

# name -> (draw(rng, palette), palette)
MADE: dict[str, tuple[Callable[[random.Random, Palette], Image.Image], Palette]] = {
    "stripes, teal and orange": (stripes, TEAL_ORANGE),
    "stripes, pastel": (stripes, PASTEL),  # the texture above, another palette
    "halftone, yellow and black": (halftone, YELLOW_BLACK),
    "stipple, sepia": (stipple, SEPIA),
    "hatching, sepia": (hatching, SEPIA),  # the palette above, another texture
    "hatching, ink blue": (hatching, INK_BLUE),
    "mosaic, terracotta": (mosaic, TERRACOTTA),
    "soft blobs, pastel": (soft_blobs, PASTEL),  # the pastel stripes' palette, without their edges
}


def training_sets() -> Iterator[tuple[str, list[bytes]]]:
    """(name, the set's images as JPEG bytes, as an artist would upload them)."""
    for index, spec in enumerate(content.STYLES):
        yield spec.name, [art.to_jpeg(art.draw(spec.recipe, palette=spec.palette, seed=index * 100 + n))
                          for n in range(IMAGES_PER_SET)]
    for index, (name, (draw, palette)) in enumerate(MADE.items()):
        yield name, [art.to_jpeg(draw(random.Random(9000 + index * 100 + n), palette)) for n in range(IMAGES_PER_SET)]
