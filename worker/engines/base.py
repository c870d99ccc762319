"""The engine interface: two operations, no knowledge of AMQP, HTTP or Atelier."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


class EngineError(ValueError):
    """Training or drawing cannot succeed with these inputs; the message is written for the artist or buyer
    and becomes the job's failure reason (no retry: the same inputs would fail the same way)."""


@dataclass(frozen=True)
class TrainingParams:
    """What a training message asks for (docs/schemas/training-message.v1.json)."""

    num_epochs: int = 1
    captions: tuple[str, ...] = ()  # the style's tags: a caption for every training image, where given


@dataclass(frozen=True)
class Artefact:
    """A trained style, as uploaded to the message's artifact_url and handed back to generate()."""

    data: bytes
    content_type: str
    metadata: dict = field(default_factory=dict)


class Engine(ABC):
    name: str

    @abstractmethod
    def train(self, images: Sequence[bytes], params: TrainingParams, progress: Callable[[int], None]) -> Artefact:
        """Learn the style of `images` (the artist's files, as uploaded); progress(percent) as work advances,
        0 to 100. Raises EngineError when the images cannot make a style."""

    @abstractmethod
    def generate(self, artefact: bytes, prompt_tags: list[str], width: int, height: int, seed: int) -> bytes:
        """A PNG of width x height in the style of `artefact`, steered by `prompt_tags`; the same inputs give
        the same image. Raises EngineError for an artefact this engine cannot draw from."""
