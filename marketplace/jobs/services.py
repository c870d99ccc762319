"""The transactional outbox.

A job's rows and its message are written in one transaction
(`outbox_enqueue`). After commit the message is sent at once, best effort;
`outbox_send_due` (the dispatcher's loop) sends whatever is still unsent,
with backoff. Nothing is lost while the broker is down, and a message sent
twice is harmless because workers skip finished jobs.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from marketplace.jobs.models import OutboxMessage
from marketplace.jobs.transport import get_transport

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300


def outbox_enqueue(*, queue: str, payload: dict) -> OutboxMessage:
    """Write a message in the caller's transaction; it is sent after commit."""
    message = OutboxMessage.objects.create(queue=queue, payload=payload)
    transaction.on_commit(lambda: outbox_send(message_id=message.pk))
    return message


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts, MAX_BACKOFF_SECONDS))


def outbox_send(*, message_id: int) -> bool:
    """Send one message if it is still unsent; never raises. Returns True when sent."""
    with transaction.atomic():
        # skip_locked: the dispatcher and the after-commit hook never send the same row at once
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, sent_at__isnull=True)
            .first()
        )
        if message is None:
            return False
        try:
            get_transport().send(
                queue=message.queue,
                body=json.dumps(message.payload, separators=(",", ":")).encode(),
                message_id=f"outbox-{message.pk}",
            )
        except Exception as exc:  # the broker being down must never fail the caller
            message.attempts += 1
            message.last_error = repr(exc)[:2000]
            message.next_attempt_at = timezone.now() + _backoff(message.attempts)
            message.save(update_fields=["attempts", "last_error", "next_attempt_at"])
            logger.warning("outbox message %s not sent (attempt %s): %r", message.pk, message.attempts, exc)
            return False
        message.sent_at = timezone.now()
        message.attempts += 1
        message.save(update_fields=["sent_at", "attempts"])
        return True


def outbox_send_due(*, limit: int = 100) -> int:
    """Send unsent messages whose backoff has passed, oldest first. Returns how many were sent."""
    now = timezone.now()
    due = (
        OutboxMessage.objects.filter(sent_at__isnull=True)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(outbox_send(message_id=pk) for pk in list(due))
