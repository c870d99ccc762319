"""The diffusers engine on a tiny base built from configs (tiny_base.py): real PEFT training, real
safetensors, real pipelines; nothing downloaded."""

from __future__ import annotations

import io
import json

import pytest
import torch
from PIL import Image
from safetensors.torch import load as load_safetensors

from worker.diffusers_tests.tiny_base import build
from worker.engines import load_engine
from worker.engines.base import EngineError, TrainingParams
from worker.engines.diffusers_lora import KIND, DiffusersEngine, Settings, read_config


@pytest.fixture(scope="module")
def trained(settings, ten_images):
    reports = []
    artefact = DiffusersEngine(settings).train(
        ten_images, TrainingParams(num_epochs=2, captions=("ink", "harbour")), progress=reports.append
    )
    return artefact, reports


def test_training_saves_the_unets_lora_in_safetensors_with_its_config(trained, settings):
    artefact, reports = trained

    config = read_config(artefact.data)
    assert config == artefact.metadata
    assert config["kind"] == KIND and config["base"] == settings.base and config["resolution"] == 64
    assert config["architecture"] == DiffusersEngine(settings).architecture
    assert config["steps"] == 20 and config["epochs"] == 2 and config["image_count"] == 10
    assert config["caption"] == "ink, harbour" and config["rank"] == 4
    weights = load_safetensors(artefact.data)
    assert weights and all(key.startswith("unet.") for key in weights)
    assert {key.rsplit(".", 2)[-2] for key in weights} <= {"lora_A", "lora_B", "down", "up"} or all(
        "lora" in key for key in weights
    )
    assert any("attn" in key and "to_q" in key for key in weights)  # the attention layers, nothing else
    assert not any("conv" in key or "norm" in key for key in weights)
    assert any(bool(tensor.abs().sum()) for key, tensor in weights.items() if "lora_B" in key or "up" in key)
    # One report per step, rising to 100.
    assert len(reports) == 20 and reports == sorted(reports) and reports[-1] == 100


def test_a_fresh_engine_draws_the_same_picture_for_the_same_seed_and_another_for_another(trained, settings):
    artefact, _ = trained
    first = DiffusersEngine(settings).generate(artefact.data, ["ink"], 64, 64, seed=7)
    fresh = DiffusersEngine(settings)

    again = fresh.generate(artefact.data, ["ink"], 64, 64, seed=7)
    other = fresh.generate(artefact.data, ["ink"], 64, 64, seed=8)

    assert first == again and first != other
    image = Image.open(io.BytesIO(first))
    assert image.format == "PNG" and image.size == (64, 64)


def test_the_lora_changes_what_the_base_draws(trained, engine):
    artefact, _ = trained
    with_lora = engine.generate(artefact.data, ["ink"], 64, 64, seed=3)
    engine.pipeline.disable_lora()
    base_only = engine.pipeline(
        prompt="ink", width=64, height=64, num_inference_steps=engine.settings.steps,
        guidance_scale=engine.settings.guidance, generator=torch.Generator().manual_seed(3),
    ).images[0]
    out = io.BytesIO()
    base_only.save(out, "PNG")
    assert with_lora != out.getvalue()


def test_training_leaves_no_adapter_behind_and_keeps_a_few_loras_loaded(trained, engine, ten_images):
    artefact, _ = trained
    engine.generate(artefact.data, [], 64, 64, seed=1)
    second = engine.train(ten_images[:3], TrainingParams(num_epochs=1), progress=lambda percent: None)
    third = engine.train(ten_images[3:6], TrainingParams(num_epochs=1), progress=lambda percent: None)

    assert engine.pipeline.unet.peft_config.keys() == {engine._loaded[key] for key in engine._loaded}
    engine.generate(second.data, [], 64, 64, seed=1)
    engine.generate(third.data, [], 64, 64, seed=1)  # the cache holds 2: the first style's LoRA is unloaded

    assert len(engine._loaded) == 2
    assert set(engine.pipeline.unet.peft_config) == set(engine._loaded.values())


def test_another_engines_artefact_or_another_architecture_is_a_reason_not_a_crash(trained, engine, tmp_path):
    artefact, _ = trained
    with pytest.raises(EngineError, match="not a LoRA of the diffusers engine"):
        engine.generate(json.dumps({"kind": "atelier-reference-patches"}).encode(), [], 64, 64, seed=1)
    wider = DiffusersEngine(Settings(base=str(build(tmp_path / "wider", width=24)), device="cpu", fp16=False, steps=1))
    with pytest.raises(EngineError, match="another architecture"):
        wider.generate(artefact.data, [], 64, 64, seed=1)


def test_a_base_of_the_same_architecture_elsewhere_draws_the_style(trained, tiny_base):
    """As a LoRA for SD 1.5 fits its fine-tunes: the same UNet shape at another path."""
    artefact, _ = trained
    moved = DiffusersEngine(Settings(base=tiny_base + "/", device="cpu", fp16=False, steps=1))
    assert Image.open(io.BytesIO(moved.generate(artefact.data, [], 64, 64, seed=1))).size == (64, 64)


def test_pictures_are_drawn_at_the_bases_resolution_and_given_at_the_size_asked(trained, engine):
    artefact, _ = trained
    assert engine.drawing_size(512, 1024) == (64, 128) and engine.drawing_size(1024, 1024) == (64, 64)

    image = Image.open(io.BytesIO(engine.generate(artefact.data, ["ink"], 512, 1024, seed=4)))

    assert image.size == (512, 1024)


def test_training_is_repeatable_whatever_the_processs_random_state(engine, ten_images):
    def lora(global_seed):
        torch.manual_seed(global_seed)
        return engine.train(ten_images[:3], TrainingParams(num_epochs=1), progress=lambda percent: None).data

    assert lora(1) == lora(2)


def test_an_unreadable_training_image_fails_the_training_with_its_number(engine, ten_images):
    with pytest.raises(EngineError, match="Image 2 of 2 could not be read as a picture"):
        engine.train([ten_images[0], b"not an image"], TrainingParams(), progress=lambda percent: None)


def test_the_registry_builds_it_from_the_environment(monkeypatch, tiny_base):
    monkeypatch.setenv("ATELIER_DIFFUSERS_BASE", tiny_base)
    monkeypatch.setenv("ATELIER_DIFFUSERS_STEPS", "2")
    load_engine.cache_clear()

    engine = load_engine("diffusers")

    assert isinstance(engine, DiffusersEngine) and engine.settings.steps == 2 and engine.settings.device == "cpu"
    assert load_engine("diffusers") is engine  # the base is loaded once per process
    load_engine.cache_clear()
