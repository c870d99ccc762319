"""What a generation costs: the style's price scaled by the image's area."""

from marketplace.generations.models import Generation

# Keyed by Generation.AspectRatio values; the multiplier is the image's area in 512×512 tiles.
ASPECT_RATIO_MULTIPLIER = {
    Generation.AspectRatio.SQUARE: 1,
    Generation.AspectRatio.TALL: 2,
    Generation.AspectRatio.LARGE: 4,
}


def generation_cost(*, price_per_generation: int, aspect_ratio: str) -> int:
    """Tokens charged for one image; raises KeyError for an unknown aspect ratio."""
    return price_per_generation * ASPECT_RATIO_MULTIPLIER[aspect_ratio]
