"""The reference engine's style model: the training set's own patches, quilted into new pictures (Pillow only).

Training keeps a library of square patches cut from the artist's images at the scale the pictures are drawn
(PATCH px from images brought to WORK_SIDE px on the short side), at positions that depend only on each
image's bytes, and stores them as one PNG atlas in a small JSON document.

Drawing fills the canvas cell by cell, in the spirit of Efros and Freeman's image quilting: each prompt tag
picks a composition (a horizon, a glow, bands, a split...) whose brightness map says how light each cell
should be; among the patches about that light, the one that best continues the patches already placed
(the smallest difference over the overlap) is laid down with a feathered edge. Colour and texture come
only from the artist's pictures, composition from the tags, variety from the seed; the same artefact,
tags, size and seed always give the same PNG bytes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import random
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageStat, UnidentifiedImageError

from worker.pictures import UnreadablePicture, open_training_image

KIND = "atelier-reference-patches"
VERSION = 2
WORK_SIDE = 512  # training images are cut at this short side: the scale a 512 px picture is drawn at
PATCH = 96
OVERLAP = 24
STEP = PATCH - OVERLAP
ATLAS_COLUMNS = 12
LIBRARY_SIZE = 144  # patches kept in all, shared out over the set
MAX_PER_IMAGE = 16
CANDIDATES = 10  # patches of about the right lightness compared at each cell
REDUCE = 4  # overlaps are compared at a quarter of the size: cheap, and enough to see a seam
_LOADED: OrderedDict[str, Library] = OrderedDict()  # a long-running worker decodes a style's atlas once
_LOADED_MAX = 8


class PatchError(ValueError):
    """The images or the artefact cannot make a picture; the message is written for the artist or buyer."""


@dataclass(frozen=True)
class Library:
    patches: list[Image.Image]  # sorted from darkest to lightest
    small: list[Image.Image]  # the same, reduced by REDUCE, for comparing overlaps


def _open(data: bytes, index: int, total: int) -> Image.Image:
    try:
        image = open_training_image(data, index, total, draft_side=WORK_SIDE)
    except UnreadablePicture as exc:
        raise PatchError(str(exc)) from exc
    scale = WORK_SIDE / min(image.size)
    if scale < 1:
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    if min(image.size) < PATCH:
        raise PatchError(f"Image {index + 1} of {total} is smaller than {PATCH} px; use a larger copy.")
    return image


def _lightness(image: Image.Image) -> float:
    return ImageStat.Stat(image.convert("L")).mean[0]


def learn(images: Sequence[bytes], progress: Callable[[int], None] | None = None) -> bytes:
    """The artefact for this training set; progress(percent) after each image. Raises PatchError."""
    if not images:
        raise PatchError("There were no images to learn the style from; upload some and train again.")
    per_image = max(1, min(MAX_PER_IMAGE, math.ceil(LIBRARY_SIZE / len(images))))
    patches = []
    for index, data in enumerate(images):
        image = _open(data, index, len(images))
        rng = random.Random(hashlib.sha256(data).digest())  # where to cut depends on the picture only
        for _ in range(per_image):
            x, y = rng.randint(0, image.width - PATCH), rng.randint(0, image.height - PATCH)
            patches.append(image.crop((x, y, x + PATCH, y + PATCH)))
        if progress:
            progress(round(100 * (index + 1) / len(images)))
    patches.sort(key=_lightness)
    rows = math.ceil(len(patches) / ATLAS_COLUMNS)
    atlas = Image.new("RGB", (ATLAS_COLUMNS * PATCH, rows * PATCH))
    for n, patch in enumerate(patches):
        atlas.paste(patch, ((n % ATLAS_COLUMNS) * PATCH, (n // ATLAS_COLUMNS) * PATCH))
    out = io.BytesIO()
    atlas.save(out, "PNG", optimize=True)
    document = {
        "kind": KIND, "version": VERSION, "image_count": len(images), "patch": PATCH, "count": len(patches),
        "atlas_png": base64.b64encode(out.getvalue()).decode(),
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def is_patch_artefact(document: dict) -> bool:
    return isinstance(document, dict) and document.get("kind") == KIND


def _library(document: dict, digest: str) -> Library:
    if digest in _LOADED:
        _LOADED.move_to_end(digest)
        return _LOADED[digest]
    count, patch = document.get("count"), document.get("patch")
    try:
        if document.get("version") != VERSION or patch != PATCH or not isinstance(count, int) or count < 1:
            raise ValueError(document.get("version"))
        atlas = Image.open(io.BytesIO(base64.b64decode(document["atlas_png"], validate=True)))
        atlas.load()
    except (KeyError, TypeError, ValueError, OSError, UnidentifiedImageError) as exc:
        raise PatchError("This style's trained model could not be read; the style needs training again.") from exc
    if atlas.width != ATLAS_COLUMNS * PATCH or atlas.height < math.ceil(count / ATLAS_COLUMNS) * PATCH:
        raise PatchError("This style's trained model is incomplete; the style needs training again.")
    atlas = atlas.convert("RGB")
    patches = [
        atlas.crop(((n % ATLAS_COLUMNS) * PATCH, (n // ATLAS_COLUMNS) * PATCH,
                    (n % ATLAS_COLUMNS + 1) * PATCH, (n // ATLAS_COLUMNS + 1) * PATCH))
        for n in range(count)
    ]
    small = [p.reduce(REDUCE) for p in patches]
    _LOADED[digest] = library = Library(patches, small)
    if len(_LOADED) > _LOADED_MAX:
        _LOADED.popitem(last=False)
    return library


# --- composition: each tag picks a brightness map over the canvas (0 dark .. 1 light) -------------------

def _horizon(rng):
    level, wave, freq = rng.uniform(0.35, 0.7), rng.uniform(0.02, 0.12), rng.uniform(1, 3)
    phase, sky_light = rng.uniform(0, 2 * math.pi), rng.random() < 0.7
    def field(x, y):
        line = level + wave * math.sin(freq * 2 * math.pi * x + phase)
        above = 1 - y / max(line, 0.01) * 0.5 if y < line else 0.5 * (1 - (y - line) / max(1 - line, 0.01))
        return above if sky_light else 1 - above
    return field


def _glow(rng):
    cx, cy, reach, light = rng.uniform(0.2, 0.8), rng.uniform(0.15, 0.7), rng.uniform(0.35, 0.8), rng.random() < 0.6
    def field(x, y):
        value = max(0.0, 1 - math.hypot(x - cx, y - cy) / reach)
        return value if light else 1 - value
    return field


def _bands(rng):
    angle, freq, phase = rng.uniform(0, math.pi), rng.uniform(1.5, 4), rng.uniform(0, 2 * math.pi)
    dx, dy = math.cos(angle), math.sin(angle)
    return lambda x, y: 0.5 + 0.5 * math.sin(freq * 2 * math.pi * (x * dx + y * dy) + phase)


def _diagonal(rng):
    angle = rng.uniform(0, 2 * math.pi)
    dx, dy = math.cos(angle), math.sin(angle)
    return lambda x, y: 0.5 + 0.5 * ((x - 0.5) * dx + (y - 0.5) * dy) / 0.7071


def _islands(rng):
    spots = [(rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.1, 0.3), rng.choice([-1, 1])) for _ in range(5)]
    def field(x, y):
        value = sum(sign * math.exp(-((x - sx) ** 2 + (y - sy) ** 2) / (2 * r * r)) for sx, sy, r, sign in spots)
        return 0.5 + 0.5 * math.tanh(value)
    return field


def _rings(rng):
    cx, cy, freq = rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7), rng.uniform(2, 5)
    return lambda x, y: 0.5 + 0.5 * math.cos(freq * 2 * math.pi * math.hypot(x - cx, y - cy))


def _split(rng):
    at, vertical, soft = rng.uniform(0.3, 0.7), rng.random() < 0.5, rng.uniform(0.05, 0.2)
    return lambda x, y: 0.5 + 0.5 * math.tanh(((x if vertical else y) - at) / soft)


COMPOSITIONS = {
    "bands": _bands, "diagonal": _diagonal, "glow": _glow, "horizon": _horizon,
    "islands": _islands, "rings": _rings, "split": _split,
}
_COMPOSITION_NAMES = sorted(COMPOSITIONS)


def composition_of(tag: str) -> str:
    """The composition a prompt tag asks for (hashlib: the same in every process)."""
    number = int.from_bytes(hashlib.sha256(tag.strip().lower().encode()).digest()[:8], "big")
    return _COMPOSITION_NAMES[number % len(_COMPOSITION_NAMES)]


def _guide(prompt_tags: list[str], columns: int, rows: int, rng: random.Random) -> list[list[float]]:
    """Each cell's wanted lightness, as a rank from 0 to 1 (so every lightness of the set gets used)."""
    fields = [COMPOSITIONS[composition_of(tag)](rng) for tag in (prompt_tags or [""])]
    values = [
        (sum(field((c + 0.5) / columns, (r + 0.5) / rows) for field in fields) / len(fields)
         + rng.uniform(-0.04, 0.04), r, c)  # a little jitter keeps flat areas from repeating one patch
        for r in range(rows) for c in range(columns)
    ]
    guide = [[0.0] * columns for _ in range(rows)]
    for rank, (_, r, c) in enumerate(sorted(values)):
        guide[r][c] = rank / max(len(values) - 1, 1)
    return guide


def _cut_mask(placed: Image.Image, patch: Image.Image) -> Image.Image:
    """Where the new patch shows over a vertical overlap (OVERLAP wide, PATCH high): right of the path down
    the overlap along which the two differ least (a minimum error boundary cut), so that strokes and edges
    stay crisp instead of being blended into ghosts."""
    error = ImageChops.difference(placed, patch).convert("L").tobytes()
    w, h = OVERLAP, PATCH
    cost = [list(error[0:w])]
    for y in range(1, h):
        above, row = cost[-1], error[y * w : (y + 1) * w]
        cost.append([row[x] + min(above[max(x - 1, 0) : x + 2]) for x in range(w)])
    x = min(range(w), key=cost[-1].__getitem__)
    mask = Image.new("L", (PATCH, PATCH), 255)
    draw = ImageDraw.Draw(mask)
    for y in range(h - 1, -1, -1):
        if x:
            draw.line((0, y, x - 1, y), fill=0)
        if y:
            above = cost[y - 1]
            x = min(range(max(x - 1, 0), min(x + 2, w)), key=above.__getitem__)
    return mask


def _patch_mask(canvas: Image.Image, patch: Image.Image, x: int, y: int, left: bool, top: bool) -> Image.Image | None:
    mask = None
    if left:
        mask = _cut_mask(canvas.crop((x, y, x + OVERLAP, y + PATCH)), patch.crop((0, 0, OVERLAP, PATCH)))
    if top:
        turn = Image.Transpose.TRANSPOSE
        placed = canvas.crop((x, y, x + PATCH, y + OVERLAP)).transpose(turn)
        from_top = _cut_mask(placed, patch.crop((0, 0, PATCH, OVERLAP)).transpose(turn)).transpose(turn)
        mask = from_top if mask is None else ImageChops.darker(mask, from_top)
    # A two-pixel blend along the cut: no stair steps in a soft wash, and a stroke stays one stroke.
    return mask.filter(ImageFilter.BoxBlur(1)) if mask else None


_EDGE = OVERLAP // REDUCE
_SMALL = PATCH // REDUCE


def _seam_error(small_canvas: Image.Image, candidate: Image.Image, x: int, y: int, left: bool, top: bool) -> float:
    error = 0.0
    if left:
        placed = small_canvas.crop((x, y, x + _EDGE, y + _SMALL))
        error += sum(ImageStat.Stat(ImageChops.difference(placed, candidate.crop((0, 0, _EDGE, _SMALL)))).mean)
    if top:
        placed = small_canvas.crop((x, y, x + _SMALL, y + _EDGE))
        error += sum(ImageStat.Stat(ImageChops.difference(placed, candidate.crop((0, 0, _SMALL, _EDGE)))).mean)
    return error


def draw(artefact: bytes, prompt_tags: list[str], size: tuple[int, int], seed: int) -> bytes:
    """The PNG of `size` for these inputs. Raises PatchError for an artefact it cannot read."""
    try:
        document = json.loads(artefact)
    except (UnicodeDecodeError, ValueError) as exc:
        raise PatchError("This style's trained model could not be read; the style needs training again.") from exc
    digest = hashlib.sha256(artefact).hexdigest()
    library = _library(document, digest)
    material = json.dumps([digest, prompt_tags, list(size), seed], separators=(",", ":")).encode()
    rng = random.Random(hashlib.sha256(material).digest())
    width, height = size
    columns, rows = math.ceil((width - OVERLAP) / STEP), math.ceil((height - OVERLAP) / STEP)
    canvas = Image.new("RGB", (columns * STEP + OVERLAP, rows * STEP + OVERLAP))
    small_canvas = Image.new("RGB", (canvas.width // REDUCE + 1, canvas.height // REDUCE + 1))
    guide = _guide(prompt_tags, columns, rows, rng)
    last = len(library.patches) - 1
    for r in range(rows):
        for c in range(columns):
            centre = round(guide[r][c] * last)
            low = max(0, min(centre - CANDIDATES // 2, last + 1 - CANDIDATES))
            candidates = range(low, min(last + 1, low + CANDIDATES))
            left, top = c > 0, r > 0
            x, y = c * STEP, r * STEP
            if left or top:
                errors = sorted(
                    (_seam_error(small_canvas, library.small[n], x // REDUCE, y // REDUCE, left, top), n)
                    for n in candidates
                )
                chosen = errors[0][1] if rng.random() < 0.75 or len(errors) == 1 else errors[1][1]
            else:
                chosen = rng.choice(list(candidates))
            mask = _patch_mask(canvas, library.patches[chosen], x, y, left, top)
            canvas.paste(library.patches[chosen], (x, y), mask)
            small_canvas.paste(library.small[chosen], (x // REDUCE, y // REDUCE), mask and mask.reduce(REDUCE))
    image = canvas.crop((0, 0, width, height))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)  # fixed settings, no metadata: the bytes follow the pixels
    return out.getvalue()
