import pytest

from marketplace.generations.models import Generation
from marketplace.generations.pricing import ASPECT_RATIO_MULTIPLIER, generation_cost


@pytest.mark.parametrize(("aspect_ratio", "cost"), [("1:1", 7), ("1:2", 14), ("2:2", 28)])
def test_cost_scales_with_image_area(aspect_ratio, cost):
    assert generation_cost(price_per_generation=7, aspect_ratio=aspect_ratio) == cost


def test_every_aspect_ratio_has_a_price():
    assert set(ASPECT_RATIO_MULTIPLIER) == set(Generation.AspectRatio.values)


def test_unknown_aspect_ratio_is_rejected():
    with pytest.raises(KeyError):
        generation_cost(price_per_generation=7, aspect_ratio="3:4")
