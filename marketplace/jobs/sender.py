"""The after-commit send, off the request thread.

A request that enqueued a job returns at once; one daemon thread per process
publishes what it is handed, all that has piled up since its last pass in one
batch (a few statements per batch, bench/submit). If the broker is slow, blackholed or down, only
this thread waits, and the dispatcher re-sends whatever stays unsent.
Tests set OUTBOX_SEND_INLINE to send in the committing thread instead.
"""

from __future__ import annotations

import logging
import queue
import threading

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)

_pending: queue.SimpleQueue[int] = queue.SimpleQueue()
_thread: threading.Thread | None = None
_lock = threading.Lock()
BATCH = 100  # messages sent in one pass at most


def send_soon(message_id: int) -> None:
    from marketplace.jobs.services import outbox_send

    if settings.OUTBOX_SEND_INLINE:
        outbox_send(message_id=message_id)
        return
    _ensure_thread()
    _pending.put(message_id)


def _ensure_thread() -> None:
    global _thread
    with _lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_loop, name="atelier-outbox-sender", daemon=True)
            _thread.start()


def _next_batch() -> list[int]:
    """Wait for one message id, then take the others already waiting, up to BATCH."""
    batch = [_pending.get()]
    while len(batch) < BATCH:
        try:
            batch.append(_pending.get_nowait())
        except queue.Empty:
            break
    return batch


def _loop() -> None:
    from marketplace.jobs.services import outbox_send_many

    while True:
        message_ids = _next_batch()
        try:
            outbox_send_many(message_ids=message_ids)
            close_old_connections()
        except Exception:  # outbox_send_many never raises by design; a database blip must not kill the thread
            logger.exception("background send of outbox messages %s failed", message_ids)
