"""Reading an artist's training image, the same way for every engine."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError


class UnreadablePicture(ValueError):
    """The image cannot be read; the message names it for the artist."""


def open_training_image(data: bytes, index: int, total: int, *, draft_side: int) -> Image.Image:
    """Image `index` (0-based) of `total` as RGB, upright (EXIF), transparent areas on
    white paper. A JPEG decodes at about
    `draft_side` when it can. Raises UnreadablePicture for a damaged, unknown or decompression-bomb file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.draft("RGB", (draft_side, draft_side))
            image.load()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise UnreadablePicture(f"Image {index + 1} of {total} is too large to read; use a smaller copy.") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnreadablePicture(
            f"Image {index + 1} of {total} could not be read as a picture (it may be damaged or in an "
            "unsupported format); remove it and train again."
        ) from exc
    image = ImageOps.exif_transpose(image)  # a phone's portrait photo stands up
    if image.has_transparency_data:
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image.convert("RGBA"))
    return image.convert("RGB")
