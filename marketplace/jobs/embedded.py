"""The embedded default: with no AMQP_URL, the bundled reference worker runs
in a background thread of this process and speaks the same HTTP protocol
to SITE_URL, so `make run` trains and draws with nothing else installed.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings

logger = logging.getLogger(__name__)

RETRIES = 3


class EmbeddedTransport:
    _instance: EmbeddedTransport | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        # One thread: jobs run one after another, like a single GPU worker.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="atelier-worker")

    @classmethod
    def instance(cls) -> EmbeddedTransport:
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def send(self, *, queue: str, body: bytes, message_id: str) -> None:
        if not settings.EMBEDDED_WORKER:
            raise RuntimeError("no broker configured and the embedded worker is off")
        self.executor.submit(self._run, queue, json.loads(body))

    def _run(self, queue: str, message: dict) -> None:
        from worker.client import AtelierClient, JobGone, RetriableError
        from worker.jobs import handle_generation, handle_training

        handler = {"model_training": handle_training, "image_generation": handle_generation}[queue]
        client = AtelierClient(token=settings.INTERNAL_API_TOKEN)
        for attempt in range(1, RETRIES + 1):
            try:
                handler(message, client)
                return
            except JobGone:
                return
            except RetriableError as exc:
                logger.warning("embedded worker: %s attempt %d failed: %s", queue, attempt, exc)
                time.sleep(attempt)
            except Exception:
                logger.exception("embedded worker: %s job failed", queue)
                return
