"""What a generation costs: the style's price scaled by the image's area."""

from marketplace.generations.models import ASPECT_RATIO_SIZES

TILE = 512 * 512

# The multiplier is the image's area in 512×512 tiles: 1:1 costs the style's price, 2:2 four times it.
ASPECT_RATIO_MULTIPLIER = {ratio: width * height // TILE for ratio, (width, height) in ASPECT_RATIO_SIZES.items()}


def generation_cost(*, price_per_generation: int, aspect_ratio: str) -> int:
    """Tokens charged for one image; raises KeyError for an unknown aspect ratio."""
    return price_per_generation * ASPECT_RATIO_MULTIPLIER[aspect_ratio]
