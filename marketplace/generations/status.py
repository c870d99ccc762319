"""What the owner sees of a generation: the job card and GET /api/images/<id>/status say the same."""

from __future__ import annotations

from django.db.models import Sum

from marketplace.generations.models import GENERATION_LIFECYCLE, Generation
from marketplace.ledger.models import LedgerEntry


def refunded_tokens(generation: Generation) -> int:
    total = generation.ledger_entries.filter(kind=LedgerEntry.Kind.REFUND).aggregate(total=Sum("amount"))["total"]
    return total or 0


def generation_status_for_owner(generation: Generation) -> dict:
    """The lifecycle's status JSON, plus what only the owner is told."""
    queue = GENERATION_LIFECYCLE.queue_info(generation)
    return {
        **GENERATION_LIFECYCLE.status_json(generation),
        "cost": generation.cost,
        "queue_position": queue.position if queue else None,
        "estimated_start": queue.estimated_start if queue else None,
        "image_url": generation.image.url if generation.image else None,
        "refunded_tokens": refunded_tokens(generation),
    }
