"""What to do with a job that can never be delivered: each domain registers how to fail its own.

jobs holds no business rule; generations (refund) and styles (tell the artist) register here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

HANDLERS: dict[str, Callable[[dict, str], None]] = {}


def register_give_up(queue: str):
    def register(handler: Callable[[dict, str], None]) -> Callable[[dict, str], None]:
        HANDLERS[queue] = handler
        return handler

    return register


def give_up(*, queue: str, payload: dict, reason: str) -> None:
    handler = HANDLERS.get(queue)
    if handler is None:
        logger.error("no dead-letter handler for %s; dropping %r", queue, payload)
        return
    handler(payload, reason)
