"""Stand-in for LoRA training: learn a style signature from images, with Pillow only.

A real worker would fine-tune a diffusion model here. This one measures what
a person would call the look of a set of pictures: its dominant palette,
brightness, contrast, saturation, texture and warm/cool balance. The result
is a small JSON document that render.py draws from.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from PIL import Image, ImageFilter, ImageStat

from worker.pictures import UnreadablePicture, open_training_image

KIND = "atelier-reference-signature"
VERSION = 1
PALETTE_SIZE = 8
ANALYSIS_SIZE = 128  # longest side an image is measured at; the look survives downscaling
TILE = 64  # every image gets the same area of the palette montage, whatever its size


class SignatureError(ValueError):
    """The images or the artefact cannot make a signature; the message is written for the artist."""


def _open_rgb(data: bytes, index: int, total: int) -> Image.Image:
    try:
        image = open_training_image(data, index, total, draft_side=ANALYSIS_SIZE * 2)
    except UnreadablePicture as exc:
        raise SignatureError(str(exc)) from exc
    image.thumbnail((ANALYSIS_SIZE, ANALYSIS_SIZE))
    return image


def _measure(image: Image.Image) -> dict[str, float]:
    grey = image.convert("L")
    grey_stat = ImageStat.Stat(grey)
    red, _, blue = ImageStat.Stat(image).mean
    texture = 0.0
    if grey.width > 2 and grey.height > 2:
        # Pillow's filters copy the outermost pixels unfiltered: leave them out of the edge measure.
        edges = grey.filter(ImageFilter.FIND_EDGES).crop((1, 1, grey.width - 1, grey.height - 1))
        texture = ImageStat.Stat(edges).mean[0] / 255
    return {
        "brightness": grey_stat.mean[0] / 255,
        "contrast": grey_stat.stddev[0] / 255,
        "saturation": ImageStat.Stat(image.convert("HSV").getchannel("S")).mean[0] / 255,
        "texture": texture,
        "warmth": (red - blue) / 255,
    }


def _palette(images: list[Image.Image]) -> list[dict]:
    # A one-row strip of equal tiles: each image weighs the same in the palette, whatever its size.
    strip = Image.new("RGB", (len(images) * TILE, TILE))
    for i, image in enumerate(images):
        strip.paste(image.resize((TILE, TILE), Image.Resampling.BILINEAR), (i * TILE, 0))
    # Octree keeps the distinct colours; median cut spends most entries on shades of the dominant one.
    quantized = strip.quantize(PALETTE_SIZE, method=Image.Quantize.FASTOCTREE)
    palette = quantized.getpalette()
    counts: dict[tuple[int, ...], int] = {}
    for count, index in quantized.getcolors():
        rgb = tuple(palette[index * 3 : index * 3 + 3])
        counts[rgb] = counts.get(rgb, 0) + count
    total = sum(counts.values())
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [
        {"rgb": list(rgb), "hex": "#{:02x}{:02x}{:02x}".format(*rgb), "weight": round(count / total, 4)}
        for rgb, count in ranked
    ]


def learn_signature(images: Sequence[bytes], progress: Callable[[int], None] | None = None) -> dict:
    """Measure every image and return the signature; progress(percent) is called after each image.

    Raises SignatureError (with a reason for the artist) when there is no image or one cannot be read.
    """
    if not images:
        raise SignatureError("There were no images to learn the style from; upload some and train again.")
    opened, measures = [], []
    for index, data in enumerate(images):
        image = _open_rgb(data, index, len(images))
        opened.append(image)
        measures.append(_measure(image))
        if progress:
            progress(round(100 * (index + 1) / len(images)))
    stats = {key: round(sum(m[key] for m in measures) / len(measures), 4) for key in measures[0]}
    return {"kind": KIND, "version": VERSION, "image_count": len(images), "palette": _palette(opened), **stats}


def dump_signature(signature: dict) -> bytes:
    return json.dumps(signature, sort_keys=True, separators=(",", ":")).encode()


def load_signature(data: bytes) -> dict:
    """Parse and check an artefact; raises SignatureError when it is not a version 1 signature."""
    try:
        signature = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise SignatureError("This style's trained model could not be read; the style needs training again.") from exc
    if not isinstance(signature, dict) or signature.get("kind") != KIND or signature.get("version") != VERSION:
        raise SignatureError("This style's trained model is not one this worker can draw from.")
    palette = signature.get("palette")
    if not isinstance(palette, list) or not palette or not all(_is_palette_entry(entry) for entry in palette):
        raise SignatureError("This style's trained model has no usable colour palette.")
    for key in ("brightness", "contrast", "saturation", "texture", "warmth"):
        if not isinstance(signature.get(key), (int, float)):
            raise SignatureError("This style's trained model is incomplete; the style needs training again.")
    return signature


def _is_palette_entry(entry) -> bool:
    if not isinstance(entry, dict) or not isinstance(entry.get("weight"), (int, float)):
        return False
    rgb = entry.get("rgb")
    return isinstance(rgb, list) and len(rgb) == 3 and all(isinstance(c, int) and 0 <= c <= 255 for c in rgb)
