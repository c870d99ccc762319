"""What the owner sees of a generation: the job card and GET /api/images/<id>/status say the same."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from marketplace.generations.models import GENERATION_LIFECYCLE, Generation
from marketplace.ledger.selectors import ledger_refunded_tokens

REFUNDABLE = (Generation.Status.FAILED, Generation.Status.CANCELLED)
OVERDUE_AFTER = timedelta(seconds=30)  # the least a job due to start may wait before it is called late


def generation_status_for_owner(generation: Generation) -> dict:
    """The lifecycle's status JSON, plus what only the owner is told."""
    queue = GENERATION_LIFECYCLE.queue_info(generation)
    average = None
    if generation.status in (Generation.Status.QUEUED, Generation.Status.PROCESSING):
        average = queue.average_duration if queue else GENERATION_LIFECYCLE.average_duration()
    now = timezone.now()
    start = queue.estimated_start if queue else None
    due = start is not None and start <= now
    # Due now: "in a moment" while it has waited no longer than a job usually takes (a worker is about to take
    # it); after that it is late, and the card says it waits for a free worker rather than "now".
    overdue = due and now - generation.created_at > max(average, OVERDUE_AFTER)
    return {
        **GENERATION_LIFECYCLE.status_json(generation),
        "cost": generation.cost,
        "queue_position": queue.position if queue else None,
        # Never "now" for a job whose estimate has passed: it is late, waiting for a worker, and says so.
        "estimated_start": None if due else start,
        "start_soon": due and not overdue,
        "start_overdue": overdue,
        # The running average of recent jobs, once there is one: "usually takes about N seconds".
        "typical_seconds": max(1, round(average.total_seconds())) if average else None,
        "image_url": generation.image.url if generation.image else None,
        # Only a failed or cancelled job is ever refunded: the others need not ask the ledger.
        "refunded_tokens": ledger_refunded_tokens(generation) if generation.status in REFUNDABLE else 0,
        # How long it may wait for a worker, or run, before it is failed and refunded (the timeout sweep).
        "timeout_minutes": settings.GENERATION_TIMEOUT_MINUTES,
    }
