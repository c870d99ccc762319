import io

import pytest
from PIL import Image

from worker.signature import KIND, SignatureError, dump_signature, learn_signature, load_signature
from worker.tests.conftest import picture


def test_signature_is_deterministic_json(red_pictures):
    first = learn_signature(red_pictures)

    assert first == learn_signature(red_pictures)
    assert first["kind"] == KIND
    assert first["version"] == 1
    assert first["image_count"] == 4
    assert load_signature(dump_signature(first)) == first


def test_palette_follows_the_colours_of_the_images(red_pictures, blue_pictures):
    red, blue = learn_signature(red_pictures), learn_signature(blue_pictures)

    r, g, b = red["palette"][0]["rgb"]
    assert r > 150 and g < 80 and b < 80
    r, g, b = blue["palette"][0]["rgb"]
    assert b > 150 and r < 80
    assert red["warmth"] > 0 > blue["warmth"]
    weights = [entry["weight"] for entry in red["palette"]]
    assert weights == sorted(weights, reverse=True)
    assert sum(weights) == pytest.approx(1, abs=0.01)


def test_statistics_tell_flat_from_busy_images():
    grey = io.BytesIO()
    Image.new("RGB", (300, 200), (128, 128, 128)).save(grey, format="PNG")
    flat = learn_signature([grey.getvalue()])
    busy = learn_signature([picture((90, 160, 60), seed=s) for s in range(3)])

    assert flat["saturation"] == 0 and flat["contrast"] == 0 and flat["texture"] == 0
    assert flat["brightness"] == pytest.approx(128 / 255, abs=0.001)
    assert busy["saturation"] > 0.4
    assert busy["contrast"] > flat["contrast"]
    assert busy["texture"] > flat["texture"]


def test_progress_is_reported_per_image(red_pictures):
    seen = []

    learn_signature(red_pictures, progress=seen.append)

    assert seen == [25, 50, 75, 100]


def test_unreadable_image_is_named_in_the_error(red_pictures):
    with pytest.raises(SignatureError, match="Image 3 of 3 could not be read"):
        learn_signature([*red_pictures[:2], b"this is not a picture"])


def test_no_images_is_an_error():
    with pytest.raises(SignatureError, match="no images"):
        learn_signature([])


@pytest.mark.parametrize(
    "artefact",
    [b"\x89PNG not json", b"[1, 2]", b'{"kind": "lora", "version": 1}', b'{"kind": "atelier-reference-signature"}'],
)
def test_load_signature_rejects_what_is_not_a_signature(artefact):
    with pytest.raises(SignatureError):
        load_signature(artefact)
