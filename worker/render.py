"""Stand-in for a diffusion model: draw a deterministic picture from a style signature.

A real worker would run the base model with the style's LoRA here. This one
layers simple shapes: each prompt tag picks a kind of shape (from a hash of
the tag), the seed places them, the signature's palette colours them, and
its contrast, brightness, saturation and texture set the final tone and
grain. The same signature, tags, aspect ratio and seed always give the same
PNG bytes; that is what makes a recorded seed worth having.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import random

from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageStat

SOFT_SCALE = 4  # soft shapes are drawn at a quarter size and enlarged: cheap blur


class RenderError(ValueError):
    pass


def _rng(signature: dict, prompt_tags: list[str], seed: int) -> random.Random:
    # hashlib, not hash(): str hashes change from one process to the next.
    material = json.dumps([seed, prompt_tags, signature], sort_keys=True, separators=(",", ":"))
    return random.Random(int.from_bytes(hashlib.sha256(material.encode()).digest(), "big"))


def _tag_number(tag: str) -> int:
    return int.from_bytes(hashlib.sha256(tag.encode()).digest()[:8], "big")


class _Palette:
    def __init__(self, signature: dict, rng: random.Random) -> None:
        self.colours = [tuple(entry["rgb"]) for entry in signature["palette"]]
        self.weights = [max(float(entry["weight"]), 0.01) for entry in signature["palette"]]
        self.rng = rng

    def pick(self, alpha: int) -> tuple[int, int, int, int]:
        return (*self.rng.choices(self.colours, self.weights)[0], alpha)

    def darkest(self) -> tuple[int, int, int]:
        return min(self.colours, key=lambda c: 299 * c[0] + 587 * c[1] + 114 * c[2])


def _background(size: tuple[int, int], palette: _Palette, rng: random.Random) -> Image.Image:
    top, bottom = palette.pick(255)[:3], palette.pick(255)[:3]
    mask = Image.linear_gradient("L") if rng.random() < 0.7 else Image.radial_gradient("L")
    turn = rng.choice([None, Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_180, Image.Transpose.ROTATE_270])
    mask = (mask.transpose(turn) if turn else mask).resize(size, Image.Resampling.BILINEAR)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask).convert("RGBA")


def _orbs(draw, w, h, palette, rng, outline):
    for _ in range(rng.randint(3, 7)):
        r = rng.uniform(0.08, 0.3) * min(w, h)
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=palette.pick(rng.randint(90, 200)))


def _ridges(draw, w, h, palette, rng, outline):
    for band in range(rng.randint(2, 4)):
        base = h * (0.45 + 0.15 * band + rng.uniform(-0.05, 0.05))
        steps = rng.randint(5, 12)
        points = [(w * i / steps, base - rng.uniform(0, 0.25) * h) for i in range(steps + 1)]
        draw.polygon([(0, h), *points, (w, h)], fill=palette.pick(rng.randint(160, 235)), **outline)


def _shards(draw, w, h, palette, rng, outline):
    for _ in range(rng.randint(4, 9)):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.1, 0.35) * min(w, h)
        points = [
            (cx + r * math.cos(a), cy + r * math.sin(a))
            for a in sorted(rng.uniform(0, 2 * math.pi) for _ in range(rng.randint(3, 5)))
        ]
        draw.polygon(points, fill=palette.pick(rng.randint(110, 210)), **outline)


def _waves(draw, w, h, palette, rng, outline):
    for _ in range(rng.randint(2, 4)):
        base, amp = rng.uniform(0.2, 0.9) * h, rng.uniform(0.02, 0.08) * h
        freq, phase, thick = rng.uniform(1, 4), rng.uniform(0, 2 * math.pi), rng.uniform(0.03, 0.1) * h
        xs = [w * i / 48 for i in range(49)]
        upper = [(x, base + amp * math.sin(freq * 2 * math.pi * x / w + phase)) for x in xs]
        draw.polygon(upper + [(x, y + thick) for x, y in reversed(upper)], fill=palette.pick(rng.randint(120, 220)))


def _rays(draw, w, h, palette, rng, outline):
    cx, cy = rng.uniform(0, w), rng.uniform(0, h * 0.5)
    reach = 2 * max(w, h)
    for _ in range(rng.randint(5, 11)):
        a, spread = rng.uniform(0, 2 * math.pi), rng.uniform(0.03, 0.12)
        far = [(cx + reach * math.cos(a + s), cy + reach * math.sin(a + s)) for s in (-spread, spread)]
        draw.polygon([(cx, cy), *far], fill=palette.pick(rng.randint(50, 120)))


def _blocks(draw, w, h, palette, rng, outline):
    for _ in range(rng.randint(3, 8)):
        x, y = rng.uniform(-0.1, 0.9) * w, rng.uniform(-0.1, 0.9) * h
        box = (x, y, x + rng.uniform(0.1, 0.5) * w, y + rng.uniform(0.1, 0.5) * h)
        draw.rectangle(box, fill=palette.pick(rng.randint(130, 230)), **outline)


def _rings(draw, w, h, palette, rng, outline):
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
    for _ in range(rng.randint(3, 7)):
        r = rng.uniform(0.05, 0.45) * min(w, h)
        width = max(2, int(rng.uniform(0.01, 0.04) * min(w, h)))
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=palette.pick(rng.randint(150, 240)), width=width)


def _dots(draw, w, h, palette, rng, outline):
    step = rng.uniform(0.05, 0.1) * min(w, h)
    colour, dx, dy = palette.pick(rng.randint(120, 200)), rng.uniform(0, step), rng.uniform(0, step)
    for row in range(int(h / step) + 1):
        for col in range(int(w / step) + 1):
            r = step * 0.3 * (0.5 + 0.5 * math.sin(row * 0.7 + col * 0.4))
            x, y = col * step + dx, row * step + dy
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)


# (draw function, soft): soft kinds are drawn small and enlarged, which blurs their edges.
SHAPES = {
    "blocks": (_blocks, False),
    "dots": (_dots, False),
    "orbs": (_orbs, True),
    "rays": (_rays, True),
    "ridges": (_ridges, False),
    "rings": (_rings, False),
    "shards": (_shards, False),
    "waves": (_waves, True),
}
KINDS = sorted(SHAPES)


def shape_kind(tag: str) -> str:
    return KINDS[_tag_number(tag) % len(KINDS)]


def _layer(kind: str, size: tuple[int, int], palette: _Palette, rng: random.Random, texture: float) -> Image.Image:
    draw_shapes, soft = SHAPES[kind]
    scale = SOFT_SCALE if soft else 1
    w, h = size[0] // scale, size[1] // scale
    layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    outline = {}
    if rng.random() < texture * 6:  # a textured style gets drawn outlines; a smooth one almost never
        outline = {"outline": (*palette.darkest(), 200), "width": max(1, round(texture * 12))}
    draw_shapes(ImageDraw.Draw(layer), w, h, palette, rng, outline)
    return layer.resize(size, Image.Resampling.BICUBIC) if soft else layer


def _grain(image: Image.Image, texture: float, rng: random.Random) -> Image.Image:
    amplitude = min(texture * 2, 0.4)  # share of the full +-128 swing
    w, h = image.size[0] // 2, image.size[1] // 2
    noise = Image.frombytes("L", (w, h), rng.randbytes(w * h)).resize(image.size, Image.Resampling.BILINEAR)
    noise = noise.point(lambda v: round(128 + (v - 128) * amplitude)).convert("RGB")
    return ImageChops.add(image, noise, scale=1.0, offset=-128)


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _match_tone(image: Image.Image, signature: dict) -> Image.Image:
    """Pull contrast, brightness and saturation towards what the style's images measured."""
    grey = ImageStat.Stat(image.reduce(4).convert("L"))
    image = ImageEnhance.Contrast(image).enhance(
        _clamp(signature["contrast"] * 255 / max(grey.stddev[0], 1), 0.4, 2.5)
    )
    mean = ImageStat.Stat(image.reduce(4).convert("L")).mean[0]
    image = ImageEnhance.Brightness(image).enhance(_clamp(signature["brightness"] * 255 / max(mean, 1), 0.4, 2.5))
    saturation = ImageStat.Stat(image.reduce(4).convert("HSV").getchannel("S")).mean[0]
    return ImageEnhance.Color(image).enhance(_clamp(signature["saturation"] * 255 / max(saturation, 1), 0.0, 2.5))


def render(signature: dict, prompt_tags: list[str], size: tuple[int, int], seed: int) -> bytes:
    """Draw the PNG of `size` (width, height) for these inputs."""
    rng = _rng(signature, prompt_tags, seed)
    palette = _Palette(signature, rng)
    canvas = _background(size, palette, rng)
    for tag in prompt_tags or [""]:
        canvas.alpha_composite(_layer(shape_kind(tag), size, palette, rng, signature["texture"]))
    image = _match_tone(_grain(canvas.convert("RGB"), signature["texture"], rng), signature)
    out = io.BytesIO()
    # Fixed encoder settings and no metadata chunks: the bytes depend only on the pixels.
    image.save(out, format="PNG", compress_level=1)  # grain compresses poorly; level 1 is 4x faster
    return out.getvalue()
