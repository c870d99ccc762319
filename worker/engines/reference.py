"""The reference engine: CPU-only and deterministic, with Pillow alone (worker/signature.py, worker/render.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from worker.engines.base import Artefact, Engine, EngineError, TrainingParams
from worker.render import RenderError, render
from worker.signature import SignatureError, dump_signature, learn_signature, load_signature


class ReferenceEngine(Engine):
    name = "reference"

    def train(self, images: Sequence[bytes], params: TrainingParams, progress: Callable[[int], None]) -> Artefact:
        try:
            signature = learn_signature(images, progress=progress)
        except SignatureError as exc:
            raise EngineError(str(exc)) from exc
        return Artefact(dump_signature(signature), "application/json", {"image_count": len(images)})

    def generate(self, artefact: bytes, prompt_tags: list[str], width: int, height: int, seed: int) -> bytes:
        try:
            return render(load_signature(artefact), prompt_tags, (width, height), seed)
        except (SignatureError, RenderError) as exc:
            raise EngineError(str(exc)) from exc
