"""The reference engine: CPU-only and deterministic, with Pillow alone.

It trains a patch library from the artist's images and quilts pictures from it (worker/patches.py), so
what it draws has the training set's own colours and textures. Styles trained before that carry a v1
signature (worker/signature.py); they are still drawn as they were (worker/render.py), so their images
remix to the same pixels, until the style is trained again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from worker import patches
from worker.engines.base import Artefact, Engine, EngineError, TrainingParams
from worker.render import render
from worker.signature import SignatureError, load_signature


class ReferenceEngine(Engine):
    name = "reference"

    def train(self, images: Sequence[bytes], params: TrainingParams, progress: Callable[[int], None]) -> Artefact:
        try:
            data = patches.learn(images, progress=progress)
        except patches.PatchError as exc:
            raise EngineError(str(exc)) from exc
        return Artefact(data, "application/json", {"image_count": len(images)})

    def generate(self, artefact: bytes, prompt_tags: list[str], width: int, height: int, seed: int) -> bytes:
        try:
            if _is_v1_signature(artefact):
                return render(load_signature(artefact), prompt_tags, (width, height), seed)
            return patches.draw(artefact, prompt_tags, (width, height), seed)
        except (patches.PatchError, SignatureError) as exc:
            raise EngineError(str(exc)) from exc


def _is_v1_signature(artefact: bytes) -> bool:
    try:
        document = json.loads(artefact)
    except (UnicodeDecodeError, ValueError):
        return False
    return isinstance(document, dict) and document.get("kind") == "atelier-reference-signature"
