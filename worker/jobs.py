"""The two job flows of docs/worker-protocol.md, whatever carried the message.

consumer.py calls these for RabbitMQ deliveries, and Atelier calls them
in-process when no broker is configured, so nothing here knows about AMQP.
`client` is anything with AtelierClient's four methods; `engine` is the
worker's engine (worker/engines/: --engine or ATELIER_WORKER_ENGINE when not
given). A handler returns what happened ("completed", "failed", "skipped" or
"gone") and raises only RetriableError or FatalError (from the client) or
MalformedMessage.
"""

from __future__ import annotations

import logging

from worker.client import FatalError, JobGone
from worker.engines import Engine, EngineError, TrainingParams, engine_from_environment
from worker.protocol import ASPECT_RATIOS

logger = logging.getLogger(__name__)

TRAINING_OVER = {"completed", "failed"}
GENERATION_OVER = {"completed", "failed", "cancelled"}


class MalformedMessage(ValueError):
    """The message lacks a field this worker needs; it cannot be processed, only dropped."""


def _check(message: dict, kind: str, fields: dict[str, type]) -> None:
    if message.get("version") != 1 or message.get("type") != kind:
        got = f"version {message.get('version')!r}, type {message.get('type')!r}"
        raise MalformedMessage(f"expected a version 1 {kind} message, got {got}")
    for name, expected in fields.items():
        if not isinstance(message.get(name), expected):
            raise MalformedMessage(f"{kind} message field {name!r} is missing or not a {expected.__name__}")


class _Progress:
    """Reports progress only every `step` points: a few PATCHes per job, not one per image."""

    def __init__(self, client, url: str, status: str, step: int = 20) -> None:
        self.client, self.url, self.status, self.step = client, url, status, step
        self.reported = 0

    def __call__(self, progress: int) -> None:
        if progress - self.reported >= self.step:
            self.client.patch_status(self.url, status=self.status, progress=progress)
            self.reported = progress


def _fail(client, url: str, reason: str) -> str:
    logger.info("reporting %s failed: %s", url, reason)
    client.patch_status(url, status="failed", failure_reason=reason)
    return "failed"


def _upload(client, url: str, data: bytes, content_type: str) -> str | None:
    """PUT the result; returns a failure reason when Atelier says it is too large (413)."""
    try:
        client.put_bytes(url, data, content_type)
    except FatalError as exc:
        if exc.status == 413:
            return "The result was larger than Atelier accepts."
        raise
    return None


def handle_training(message: dict, client, engine: Engine | None = None) -> str:
    _check(message, "training", {"webhook_url": str, "artifact_url": str, "image_urls": list})
    try:
        return _train(message, client, engine or engine_from_environment())
    except JobGone as exc:
        logger.info("training of style %s is over, dropping it (%s)", message.get("style_id"), exc.detail)
        return "gone"


def _training_params(message: dict) -> TrainingParams:
    epochs = message.get("num_epochs")
    tags = message.get("style_tags")
    return TrainingParams(
        num_epochs=epochs if isinstance(epochs, int) and epochs > 0 else 1,
        captions=tuple(str(tag) for tag in tags) if isinstance(tags, list) else (),
    )


def _train(message: dict, client, engine: Engine) -> str:
    url = message["webhook_url"]
    if client.get_status(url).get("status") in TRAINING_OVER:
        logger.info("training of style %s already finished; skipping a redelivery", message.get("style_id"))
        return "skipped"
    client.patch_status(url, status="training", progress=0)
    progress = _Progress(client, url, "training")
    urls = message["image_urls"]
    images = []
    for index, image_url in enumerate(urls):
        images.append(client.get_bytes(image_url))
        progress(50 * (index + 1) // len(urls))  # fetching is the first half of the work
    try:
        artefact = engine.train(
            images, _training_params(message), progress=lambda percent: progress(50 + percent * 45 // 100)
        )
    except EngineError as exc:
        return _fail(client, url, str(exc))
    too_large = _upload(client, message["artifact_url"], artefact.data, artefact.content_type)
    if too_large:
        return _fail(client, url, too_large)
    client.patch_status(url, status="completed", progress=100)
    return "completed"


def handle_generation(message: dict, client, engine: Engine | None = None) -> str:
    _check(
        message,
        "generation",
        {"webhook_url": str, "image_upload_url": str, "lora_url": str, "prompt_tags": list, "aspect_ratio": str,
         "seed": int},
    )
    try:
        return _generate(message, client, engine or engine_from_environment())
    except JobGone as exc:
        logger.info("generation %s is over, dropping it (%s)", message.get("generation_id"), exc.detail)
        return "gone"


def _generate(message: dict, client, engine: Engine) -> str:
    url = message["webhook_url"]
    if client.get_status(url).get("status") in GENERATION_OVER:
        logger.info("generation %s already finished; skipping a redelivery", message.get("generation_id"))
        return "skipped"
    client.patch_status(url, status="processing", progress=0)
    ratio = message["aspect_ratio"]
    if ratio not in ASPECT_RATIOS:
        drawn = ", ".join(ASPECT_RATIOS)
        return _fail(client, url, f"This worker cannot draw the aspect ratio {ratio!r}; it draws {drawn}.")
    try:
        artefact = client.get_bytes(message["lora_url"])
        client.patch_status(url, status="processing", progress=30)
        width, height = ASPECT_RATIOS[ratio]
        png = engine.generate(artefact, [str(tag) for tag in message["prompt_tags"]], width, height, message["seed"])
    except EngineError as exc:
        return _fail(client, url, str(exc))
    client.patch_status(url, status="processing", progress=80)
    too_large = _upload(client, message["image_upload_url"], png, "image/png")
    if too_large:
        return _fail(client, url, too_large)
    client.patch_status(url, status="completed", progress=100)
    return "completed"
