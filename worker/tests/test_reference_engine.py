"""The reference engine: trains a patch library from the artist's pictures and quilts new ones from it."""

import io
import json
import random

import pytest
from PIL import Image, ImageDraw, ImageStat

from bench.fidelity import features
from worker import patches
from worker.engines import EngineError, TrainingParams, load_engine
from worker.protocol import ASPECT_RATIOS
from worker.render import render
from worker.signature import dump_signature, learn_signature
from worker.tests.conftest import picture

engine = load_engine("reference")


def train(images: list[bytes]) -> bytes:
    seen = []
    artefact = engine.train(images, TrainingParams(), progress=seen.append)
    assert seen[-1] == 100 and seen == sorted(seen)
    assert artefact.content_type == "application/json"
    return artefact.data


def _open(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGB")


def striped(colours: tuple, seed: int, vertical: bool) -> bytes:
    """Hard stripes one way or the other: the same colours, another texture."""
    rng, image = random.Random(seed), Image.new("RGB", (512, 512), colours[0])
    draw = ImageDraw.Draw(image)
    for k in range(0, 512, 16):
        box = (k, 0, k + 7, 512) if vertical else (0, k, 512, k + 7)
        draw.rectangle(box, fill=colours[1 + rng.randrange(len(colours) - 1)])
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def red_style():
    return train([picture((200, 30, 30), seed=i, fmt="JPEG" if i % 2 else "PNG") for i in range(6)])


@pytest.mark.parametrize("ratio", list(ASPECT_RATIOS))
def test_draws_the_size_it_is_asked_for(red_style, ratio):
    assert _open(engine.generate(red_style, ["fox"], *ASPECT_RATIOS[ratio], 1)).size == ASPECT_RATIOS[ratio]


def test_same_inputs_give_the_same_bytes_in_a_fresh_process_state(red_style):
    first = engine.generate(red_style, ["fox", "snow"], 512, 1024, 1234567)
    patches._LOADED.clear()  # as a new worker process would start: nothing decoded yet
    assert engine.generate(red_style, ["fox", "snow"], 512, 1024, 1234567) == first


def test_seed_and_tags_change_the_picture(red_style):
    base = engine.generate(red_style, ["fox", "snow"], 512, 512, 1)
    assert engine.generate(red_style, ["fox", "snow"], 512, 512, 2) != base
    assert engine.generate(red_style, ["castle", "sea"], 512, 512, 1) != base


def test_tags_steer_the_composition_deterministically():
    tags = ["fox", "snow", "dusk", "castle", "sea", "storm", "night", "forest", "harbour", "rose"]
    assert len({patches.composition_of(tag) for tag in tags}) >= 4
    assert patches.composition_of("Fox ") == patches.composition_of("fox")


def test_colours_come_from_the_training_set(red_style):
    blue_style = train([picture((30, 50, 200), seed=i) for i in range(6)])
    red_r, _, red_b = ImageStat.Stat(_open(engine.generate(red_style, ["fox"], 512, 512, 5))).mean
    blue_r, _, blue_b = ImageStat.Stat(_open(engine.generate(blue_style, ["fox"], 512, 512, 5))).mean
    assert red_r > red_b + 100 and blue_b > blue_r + 100


def test_texture_comes_from_the_training_set():
    """Same palette, stripes the other way: each style's pictures are nearer its own set than the other's."""
    colours = ((240, 235, 220), (20, 40, 90), (160, 40, 40))
    sets = {way: [striped(colours, seed, way == "vertical") for seed in range(4)] for way in ("vertical", "flat")}
    centroids = {way: features.mean([features.describe(image) for image in images]) for way, images in sets.items()}
    for way, images in sets.items():
        drawn = features.describe(engine.generate(train(images), ["harbour", "fog"], 512, 512, 3))
        other = "flat" if way == "vertical" else "vertical"
        assert features.distance(drawn, centroids[way]) < features.distance(drawn, centroids[other])


def test_styles_trained_before_the_patch_library_are_drawn_as_they_were():
    """A v1 signature keeps drawing the same pixels, so its images remix the same until it is retrained."""
    signature = learn_signature([picture((30, 140, 150), seed=i) for i in range(3)])
    artefact = dump_signature(signature)
    assert engine.generate(artefact, ["fox"], 512, 512, 9) == render(signature, ["fox"], (512, 512), 9)


def test_an_unreadable_image_is_refused_with_a_reason_for_the_artist():
    with pytest.raises(EngineError, match="Image 2 of 2 could not be read"):
        engine.train([picture((10, 10, 10)), b"not a picture"], TrainingParams(), progress=lambda p: None)


@pytest.mark.parametrize(
    "artefact",
    [b"\x00safetensors", b"{}", json.dumps({"kind": patches.KIND, "version": 2, "patch": 96, "count": 3,
                                            "atlas_png": "bm90IGEgcG5n"}).encode()],
    ids=["binary", "empty-json", "broken-atlas"],
)
def test_an_artefact_it_cannot_read_gives_a_reason_for_the_buyer(artefact):
    with pytest.raises(EngineError, match="trained model"):
        engine.generate(artefact, ["fox"], 512, 512, 1)
