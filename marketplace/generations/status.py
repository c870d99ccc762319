"""What the owner sees of a generation: the job card and GET /api/images/<id>/status say the same."""

from __future__ import annotations

from django.conf import settings

from marketplace.generations.models import GENERATION_LIFECYCLE, Generation
from marketplace.ledger.selectors import ledger_refunded_tokens

REFUNDABLE = (Generation.Status.FAILED, Generation.Status.CANCELLED)


def generation_status_for_owner(generation: Generation) -> dict:
    """The lifecycle's status JSON, plus what only the owner is told."""
    queue = GENERATION_LIFECYCLE.queue_info(generation)
    return {
        **GENERATION_LIFECYCLE.status_json(generation),
        "cost": generation.cost,
        "queue_position": queue.position if queue else None,
        "estimated_start": queue.estimated_start if queue else None,
        "image_url": generation.image.url if generation.image else None,
        # Only a failed or cancelled job is ever refunded: the others need not ask the ledger.
        "refunded_tokens": ledger_refunded_tokens(generation) if generation.status in REFUNDABLE else 0,
        # How long it may wait for a worker, or run, before it is failed and refunded (the timeout sweep).
        "timeout_minutes": settings.GENERATION_TIMEOUT_MINUTES,
    }
