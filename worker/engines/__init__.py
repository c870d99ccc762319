"""The worker's engines: what trains a style and draws in it, behind one interface (docs/worker-protocol.md,
"Writing your own engine"). The consumer, retries, progress reports and uploads (worker/jobs.py,
worker/consumer.py) are shared; an engine only turns images into an artefact and an artefact into a PNG.

    python -m worker --engine reference    (or ATELIER_WORKER_ENGINE)

`reference` is CPU-only and needs Pillow alone; `diffusers` trains and draws LoRAs on a Stable Diffusion
base with torch (worker/engines/diffusers_lora.py, worker/requirements-diffusers.txt). An engine is
imported only when asked for, so one that needs torch never burdens the web app, which loads the
reference engine in-process.
"""

from __future__ import annotations

import importlib
import os
from functools import cache

from worker.engines.base import Artefact, Engine, EngineError, TrainingParams

__all__ = ["ENGINES", "Artefact", "Engine", "EngineError", "TrainingParams", "engine_from_environment", "load_engine"]

DEFAULT_ENGINE = "reference"
# name -> "module:class", imported on first use.
ENGINES = {
    "reference": "worker.engines.reference:ReferenceEngine",
    "diffusers": "worker.engines.diffusers_lora:DiffusersEngine",  # its own environment: requirements-diffusers.txt
}


@cache
def load_engine(name: str = DEFAULT_ENGINE) -> Engine:
    """The engine called `name`, made once per process (the diffusers engine loads its base model once)."""
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(sorted(ENGINES))}")
    module, _, attribute = ENGINES[name].partition(":")
    return getattr(importlib.import_module(module), attribute)()


def engine_from_environment() -> Engine:
    return load_engine(os.environ.get("ATELIER_WORKER_ENGINE") or DEFAULT_ENGINE)
