"""Deterministic generative pictures for the demo marketplace.

A recipe draws with a random.Random(seed) and a palette only, so the same
recipe, palette, seed and size always give the same picture. Nothing here
touches Django; everything is plain Pillow and fast enough for ~120 images
in a few seconds.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable, Sequence

from PIL import Image, ImageChops, ImageColor, ImageDraw, ImageFilter, ImageFont, ImageOps

Color = tuple[int, int, int]
Size = tuple[int, int]
Recipe = Callable[[random.Random, list[Color], Size], Image.Image]

THUMBNAIL_SIZE = 256


def _mix(a: Color, b: Color, t: float) -> Color:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def _gradient(size: Size, top: Color, bottom: Color) -> Image.Image:
    ramp = Image.linear_gradient("L").resize(size, Image.Resampling.BILINEAR)
    return ImageOps.colorize(ramp, top, bottom)


def _grain(img: Image.Image, rng: random.Random) -> Image.Image:
    """Paper texture; seeded noise (Image.effect_noise ignores our seed)."""
    tile = Image.frombytes("L", (128, 128), rng.randbytes(128 * 128)).point(lambda v: 116 + v * 24 // 255)
    noise = Image.new("L", img.size)
    for x in range(0, img.width, 128):
        for y in range(0, img.height, 128):
            noise.paste(tile, (x, y))
    return ImageChops.soft_light(img, Image.merge("RGB", (noise, noise, noise)))


def _glow(base: Image.Image, layer: Image.Image, radius: float) -> Image.Image:
    halo = layer.filter(ImageFilter.GaussianBlur(radius))
    out = Image.alpha_composite(base.convert("RGBA"), halo)
    out = Image.alpha_composite(out, halo)
    return Image.alpha_composite(out, layer).convert("RGB")


def watercolor(rng: random.Random, pal: list[Color], size: Size) -> Image.Image:
    w, h = size
    img = Image.new("RGBA", size, pal[0] + (255,))
    for wash in range(3):
        layer = Image.new("RGBA", size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        for _ in range(rng.randint(5, 9)):
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            rx = rng.uniform(0.08, 0.3) * w
            ry = rx * rng.uniform(0.5, 1.4)
            color = rng.choice(pal[1:])
            # Pigment pools at the rim of a wash, so the edge is darker than the middle.
            draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=color + (rng.randint(40, 80),),
                         outline=_mix(color, (0, 0, 0), 0.25) + (60,), width=max(2, w // 128))
        # Later washes are sharper, like paint laid on drier paper.
        img = Image.alpha_composite(img, layer.filter(ImageFilter.GaussianBlur(w / (25, 70, 200)[wash])))
    return _grain(img.convert("RGB"), rng)


def ink(rng: random.Random, pal: list[Color], size: Size) -> Image.Image:
    w, h = size
    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    for _ in range(rng.randint(6, 11)):
        x, y = rng.uniform(0.05, 0.95) * w, rng.uniform(0.3, 1.0) * h
        angle = -math.pi / 2 + rng.uniform(-0.6, 0.6)
        width = rng.uniform(0.015, 0.045) * w
        steps = rng.randint(12, 30)
        for step in range(steps):
            angle += rng.uniform(-0.15, 0.15)
            nx, ny = x + math.cos(angle) * w / 40, y + math.sin(angle) * w / 40
            # The brush lifts off the paper: strokes taper towards the end.
            wd = max(1, round(width * (1 - step / steps)))
            draw.line((x, y, nx, ny), fill=rng.randint(200, 255), width=wd)
            draw.ellipse((nx - wd / 2, ny - wd / 2, nx + wd / 2, ny + wd / 2), fill=230)
            x, y = nx, ny
    for _ in range(rng.randint(10, 30)):
        x, y, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(1, w / 120)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=rng.randint(120, 255))
    mask = mask.filter(ImageFilter.GaussianBlur(1.2))
    img = Image.composite(Image.new("RGB", size, pal[1]), Image.new("RGB", size, pal[0]), mask)
    seal = round(w * 0.07)
    sx, sy = w - seal * 2, h - seal * 2
    ImageDraw.Draw(img).rectangle((sx, sy, sx + seal, sy + seal), fill=pal[2])
    return _grain(img, rng)


def pixel_art(rng: random.Random, pal: list[Color], size: Size) -> Image.Image:
    cols, rows = size[0] // 16, size[1] // 16
    img = Image.new("RGB", (cols, rows), pal[0])
    px = img.load()
    band = rows * 2 // 5
    for y in range(band, rows):
        for x in range(cols):
            # Ordered dithering between the two sky colours, the way 8-bit games shaded.
            if y > band + 2 or (x + y) % 2:
                px[x, y] = pal[1]
    peak = rows // 2
    for x in range(cols):
        peak = min(rows * 3 // 5, max(rows // 3, peak + rng.choice((-1, -1, 0, 1, 1))))
        for y in range(peak, rows):
            px[x, y] = _mix(pal[1], pal[2], 0.5)
    for _ in range(rng.randint(6, 12)):
        px[rng.randrange(cols), rng.randrange(rows // 3)] = pal[5]
    ground = rows * 2 // 3
    for x in range(cols):
        ground = min(rows - 3, max(rows // 2, ground + rng.choice((-1, 0, 0, 1))))
        px[x, ground] = pal[3]
        for y in range(ground + 1, rows):
            px[x, y] = pal[2] if (x * 7 + y * 3) % 11 else pal[4]
        if rng.random() < 0.12 and 2 < x < cols - 2:
            for y in range(ground - 3, ground):
                px[x, y] = pal[4]
            for dx in (-1, 0, 1):
                px[x + dx, ground - 3] = pal[3]
                px[x, ground - 4] = pal[3]
    mx, my = rng.randrange(3, cols - 3), rng.randrange(2, rows // 4 + 2)
    ImageDraw.Draw(img).ellipse((mx - 2, my - 2, mx + 2, my + 2), fill=pal[5])
    return img.resize(size, Image.Resampling.NEAREST)


def neon(rng: random.Random, pal: list[Color], size: Size) -> Image.Image:
    w, h = size
    base = _gradient(size, pal[0], _mix(pal[0], (0, 0, 0), 0.6))
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for _ in range(rng.randint(5, 8)):
        color = rng.choice(pal[1:])
        line_width = rng.randint(3, 7)
        shape = rng.choice(("zigzag", "ring", "frame"))
        cx, cy, r = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h, rng.uniform(0.08, 0.25) * w
        if shape == "zigzag":
            points = [(cx - r + i * r / 3, cy + (r / 3 if i % 2 else -r / 3)) for i in range(7)]
            draw.line(points, fill=color + (255,), width=line_width, joint="curve")
        elif shape == "ring":
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=color + (255,), width=line_width)
        else:
            draw.rounded_rectangle((cx - r, cy - r * 0.6, cx + r, cy + r * 0.6), r / 5, outline=color + (255,),
                                   width=line_width)
    return _glow(base, layer, w / 40)


def _leaf(cx: float, cy: float, length: float, angle: float) -> list[tuple[float, float]]:
    ts = [i / 12 for i in range(13)]
    half = [math.sin(math.pi * t) ** 0.8 * length * 0.28 for t in ts]
    outline = [(t * length, s) for t, s in zip(ts, half, strict=True)]
    outline += [(t * length, -s) for t, s in reversed(list(zip(ts, half, strict=True)))]
    ca, sa = math.cos(angle), math.sin(angle)
    return [(cx + x * ca - y * sa, cy + x * sa + y * ca) for x, y in outline]


def botanical(rng: random.Random, pal: list[Color], size: Size) -> Image.Image:
    w, h = size
    img = Image.new("RGB", size, pal[0])
    draw = ImageDraw.Draw(img)
    for _ in range(rng.randint(2, 4)):
        x0, x1 = rng.uniform(0.2, 0.8) * w, rng.uniform(0.15, 0.85) * w
        y1, bend = rng.uniform(0.1, 0.35) * h, rng.uniform(-0.25, 0.25) * w
        stem = []
        for i in range(21):
            t = i / 20
            # Quadratic Bézier from the ground to the tip, bent sideways.
            cxp = (1 - t) ** 2 * x0 + 2 * (1 - t) * t * (x0 + bend) + t * t * x1
            cyp = (1 - t) ** 2 * h + 2 * (1 - t) * t * (h + y1) / 2 + t * t * y1
            stem.append((cxp, cyp))
        green = rng.choice(pal[1:4])
        draw.line(stem, fill=_mix(green, (0, 0, 0), 0.3), width=max(2, w // 150))
        for i in range(3, 20, 2):
            (ax, ay), (bx, by) = stem[i - 1], stem[i]
            heading = math.atan2(by - ay, bx - ax)
            side = 1 if i % 4 == 1 else -1
            length = rng.uniform(0.07, 0.14) * w * (1.2 - i / 25)
            leaf = _leaf(bx, by, length, heading + side * rng.uniform(0.6, 1.1))
            draw.polygon(leaf, fill=rng.choice(pal[1:4]), outline=_mix(green, (0, 0, 0), 0.4))
        tx, ty = stem[-1]
        r = w / 45
        for k in range(5):
            a = k * 2 * math.pi / 5
            draw.ellipse((tx + math.cos(a) * r - r, ty + math.sin(a) * r - r, tx + math.cos(a) * r + r,
                          ty + math.sin(a) * r + r), fill=pal[4])
        draw.ellipse((tx - r / 2, ty - r / 2, tx + r / 2, ty + r / 2), fill=pal[0])
    return _grain(img, rng)


def isometric(rng: random.Random, pal: list[Color], size: Size) -> Image.Image:
    w, h = size
    img = _gradient(size, pal[0], pal[1])
    draw = ImageDraw.Draw(img)
    n, tw = 7, w / 8
    th = tw / 2
    top = (h - n * th) / 2
    for depth in range(2 * n - 1):
        for i in range(n):
            j = depth - i
            if not 0 <= j < n:
                continue
            x, y = w / 2 + (i - j) * tw / 2, top + (i + j) * th / 2
            lift = rng.choice((0, 0, 1, 1, 2, 3)) * th * 0.8
            color = rng.choice(pal[2:])
            outline = _mix(color, (0, 0, 0), 0.5)
            left, right = (x - tw / 2, y + th / 2), (x + tw / 2, y + th / 2)
            draw.polygon([(left[0], left[1] - lift), (x, y + th - lift), (x, y + th), left],
                         fill=color, outline=outline)
            draw.polygon([(x, y + th - lift), (right[0], right[1] - lift), right, (x, y + th)],
                         fill=_mix(color, (0, 0, 0), 0.3), outline=outline)
            draw.polygon([(x, y - lift), (right[0], right[1] - lift), (x, y + th - lift), (left[0], left[1] - lift)],
                         fill=_mix(color, (255, 255, 255), 0.35), outline=outline)
    return img


def landscape(rng: random.Random, pal: list[Color], size: Size) -> Image.Image:
    w, h = size
    img = _gradient(size, pal[0], pal[1]).convert("RGBA")
    sun = Image.new("RGBA", size, (0, 0, 0, 0))
    sx, sy, r = rng.uniform(0.2, 0.8) * w, rng.uniform(0.15, 0.35) * h, rng.uniform(0.06, 0.11) * w
    ImageDraw.Draw(sun).ellipse((sx - r, sy - r, sx + r, sy + r), fill=pal[2] + (255,))
    img = _glow(img, sun, r)
    draw = ImageDraw.Draw(img)
    layers = 5
    for layer in range(layers):
        base = h * (0.45 + 0.1 * layer)
        waves = [(rng.uniform(1, 4) * 2 * math.pi / w, rng.uniform(0, 2 * math.pi), h / (18 + 6 * k)) for k in range(3)]
        ridge = [(x, base + sum(a * math.sin(f * x + p) for f, p, a in waves)) for x in range(0, w + 8, 8)]
        # Far hills take the sky's haze; near hills are darker and saturated.
        draw.polygon(ridge + [(w, h), (0, h)], fill=_mix(pal[3], pal[4], layer / (layers - 1)))
    return img


def retro(rng: random.Random, pal: list[Color], size: Size) -> Image.Image:
    w, h = size
    horizon = h * 0.62
    img = _gradient(size, pal[0], pal[1])
    draw = ImageDraw.Draw(img)
    for _ in range(40):
        x, y = rng.uniform(0, w), rng.uniform(0, horizon * 0.6)
        draw.point((x, y), fill=(255, 255, 255))
    r, cx = w * rng.uniform(0.18, 0.26), w * rng.uniform(0.35, 0.65)
    cy = horizon - r * 0.45
    disc = _gradient((round(2 * r), round(2 * r)), pal[2], pal[3])
    mask = Image.new("L", disc.size, 0)
    mask_draw = ImageDraw.Draw(mask)
    mask_draw.ellipse((0, 0, disc.width - 1, disc.height - 1), fill=255)
    for k in range(6):
        band_y = disc.height * (0.55 + k * 0.08)
        mask_draw.rectangle((0, band_y, disc.width, band_y + 2 + k * 2), fill=0)
    img.paste(disc, (round(cx - r), round(cy - r)), mask)
    ridge = [(x, horizon - abs(math.sin(x / w * math.pi * rng.uniform(2, 4))) * h * 0.08) for x in range(0, w + 16, 16)]
    draw.polygon(ridge + [(w, horizon), (0, horizon)], fill=pal[4])
    draw.rectangle((0, horizon, w, h), fill=_mix(pal[4], (0, 0, 0), 0.4))
    grid = Image.new("RGBA", size, (0, 0, 0, 0))
    grid_draw = ImageDraw.Draw(grid)
    line = pal[5] + (255,)
    gap = (h - horizon) / 40
    y = horizon
    while y < h:
        grid_draw.line((0, y, w, y), fill=line, width=2)
        gap *= 1.35
        y += gap
    for k in range(-12, 13):
        grid_draw.line((w / 2 + k * w / 60, horizon, w / 2 + k * w / 5, h), fill=line, width=2)
    return _glow(img, grid, w / 100)


RECIPES: dict[str, Recipe] = {
    "watercolor": watercolor,
    "ink": ink,
    "pixel-art": pixel_art,
    "neon": neon,
    "botanical": botanical,
    "isometric": isometric,
    "landscape": landscape,
    "retro": retro,
}


def draw(recipe: str, *, palette: Sequence[str], seed: int, size: Size = (512, 512)) -> Image.Image:
    colors = [ImageColor.getrgb(code)[:3] for code in palette]
    return RECIPES[recipe](random.Random(seed), colors, size)


def avatar(*, initials: str, palette: Sequence[str], seed: int | str, size: int = 256) -> Image.Image:
    rng = random.Random(seed)
    colors = [ImageColor.getrgb(code)[:3] for code in palette]
    img = _gradient((size, size), colors[0], colors[1]).convert("RGBA")
    blobs = Image.new("RGBA", img.size, (0, 0, 0, 0))
    blob_draw = ImageDraw.Draw(blobs)
    for _ in range(4):
        x, y, r = rng.uniform(0, size), rng.uniform(0, size), rng.uniform(0.15, 0.4) * size
        blob_draw.ellipse((x - r, y - r, x + r, y + r), fill=rng.choice(colors[1:]) + (90,))
    img = Image.alpha_composite(img, blobs.filter(ImageFilter.GaussianBlur(size / 16))).convert("RGB")
    font = ImageFont.load_default(size=size * 0.42)
    ImageDraw.Draw(img).text((size / 2, size / 2), initials, font=font, fill=(255, 255, 255), anchor="mm")
    return img


def to_jpeg(img: Image.Image, *, max_side: int | None = None) -> bytes:
    if max_side:
        img = img.copy()
        img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    # 4:4:4 keeps pixel-art edges and thin neon lines from bleeding colour.
    img.save(buffer, "JPEG", quality=90, subsampling=0)
    return buffer.getvalue()
