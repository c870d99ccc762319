import io

import pytest
from PIL import Image, ImageStat

from worker.protocol import ASPECT_RATIOS
from worker.render import render, shape_kind
from worker.signature import learn_signature


@pytest.fixture
def red_signature(red_pictures):
    return learn_signature(red_pictures)


@pytest.fixture
def blue_signature(blue_pictures):
    return learn_signature(blue_pictures)


def _open(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGB")


@pytest.mark.parametrize(("ratio", "size"), [("1:1", (512, 512)), ("1:2", (512, 1024)), ("2:2", (1024, 1024))])
def test_sizes_follow_the_aspect_ratio(red_signature, ratio, size):
    assert _open(render(red_signature, ["fox"], ASPECT_RATIOS[ratio], 1)).size == size


def test_same_inputs_give_the_same_bytes(red_signature):
    first = render(red_signature, ["fox", "snow", "dusk"], ASPECT_RATIOS["1:2"], 1234567)

    assert render(dict(red_signature), ["fox", "snow", "dusk"], ASPECT_RATIOS["1:2"], 1234567) == first


def test_seed_and_tags_change_the_picture(red_signature):
    base = render(red_signature, ["fox", "snow"], ASPECT_RATIOS["1:1"], 1)

    assert render(red_signature, ["fox", "snow"], ASPECT_RATIOS["1:1"], 2) != base
    assert render(red_signature, ["castle", "sea"], ASPECT_RATIOS["1:1"], 1) != base


def test_tags_pick_different_kinds_of_shapes():
    kinds = {shape_kind(tag) for tag in ["fox", "snow", "dusk", "castle", "sea", "storm", "night", "forest"]}

    assert len(kinds) >= 3
    assert shape_kind("fox") == shape_kind("fox")


def test_picture_takes_its_colour_from_the_signature(red_signature, blue_signature):
    red_r, _, red_b = ImageStat.Stat(_open(render(red_signature, ["fox"], ASPECT_RATIOS["1:1"], 5))).mean
    blue_r, _, blue_b = ImageStat.Stat(_open(render(blue_signature, ["fox"], ASPECT_RATIOS["1:1"], 5))).mean

    assert red_r > red_b + 60
    assert blue_b > blue_r + 60


def test_contrast_and_texture_follow_the_signature(red_signature):
    smooth = {**red_signature, "contrast": 0.03, "texture": 0.0}
    rough = {**red_signature, "contrast": 0.3, "texture": 0.15}

    smooth_image = _open(render(smooth, ["fox", "sea"], ASPECT_RATIOS["1:1"], 9)).convert("L")
    rough_image = _open(render(rough, ["fox", "sea"], ASPECT_RATIOS["1:1"], 9)).convert("L")

    assert ImageStat.Stat(rough_image).stddev[0] > 2 * ImageStat.Stat(smooth_image).stddev[0]
