"""The transactional outbox.

A job's rows and its message are written in one transaction
(`outbox_enqueue`). After commit the message is sent at once by a
background sender (never in the request thread), best effort;
`outbox_send_due` (the dispatcher's loop) sends whatever is still unsent,
with backoff. Nothing is lost while the broker is down, and a message sent
twice is harmless because workers skip finished jobs.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.core.requestid import current_request_id
from marketplace.jobs.dead_letters import give_up
from marketplace.jobs.models import OutboxMessage
from marketplace.jobs.sender import send_soon
from marketplace.jobs.transport import get_transport

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300
LEASE = timedelta(seconds=30)  # how long a claimed or embedded-held message waits before another try
MAX_DELIVERIES = 3  # times the embedded worker may take a job up before it is given up


def outbox_enqueue(*, queue: str, payload: dict) -> OutboxMessage:
    """Write a message in the caller's transaction; it is sent after commit, off the request thread."""
    request_id = current_request_id()
    if request_id:  # the worker logs it and sends it back, so one id follows a job end to end
        payload = {**payload, "request_id": request_id}
    message = OutboxMessage.objects.create(queue=queue, payload=payload)
    transaction.on_commit(lambda: send_soon(message.pk))
    return message


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts, MAX_BACKOFF_SECONDS))


def _claim(message_ids: list[int]) -> list[OutboxMessage]:
    """Take a short lease on the unsent, unclaimed rows among `message_ids`: two statements for any number.

    The dispatcher, the after-commit sender and a restarted process may all try the same row;
    exactly one wins each lease (the conditional UPDATE), and a sender that dies simply lets its
    lease expire. The winner reads back the rows holding its own lease, whose end is unique to this claim.
    """
    now = timezone.now()
    lease = now + LEASE
    won = (
        OutboxMessage.objects.filter(pk__in=message_ids, sent_at__isnull=True)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=lease)
    )
    if not won:
        return []
    return list(OutboxMessage.objects.filter(pk__in=message_ids, claimed_until=lease).order_by("id"))


def outbox_send(*, message_id: int) -> bool:
    """Send one message if it is still unsent and unclaimed; never raises. True when handed over."""
    return outbox_send_many(message_ids=[message_id]) == 1


def outbox_send_many(*, message_ids: list[int]) -> int:
    """Send those of `message_ids` still unsent and unclaimed, oldest first; never raises. Returns how many went.

    Claim them, publish outside any transaction (a slow or blackholed broker holds no row lock and no
    connection in a transaction), then record the outcome: a handful of statements per batch, not per
    message, so the sender keeps up with many submits a second. The broker confirms each publish, so
    the row is sent; the embedded worker only accepts it, so the row stays leased until the worker
    has taken the job up and handled it (outbox_take_up / outbox_done). At the first failure the
    batch stops: that row backs off, the rest are released for the dispatcher's next pass.
    """
    messages = _claim(message_ids)
    confirmed, accepted = [], []
    transport = get_transport() if messages else None
    for index, message in enumerate(messages):
        body = json.dumps(message.payload, separators=(",", ":")).encode()
        try:
            sent = transport.send(queue=message.queue, body=body, message_id=f"outbox-{message.pk}")
        except Exception as exc:  # the broker being down must never fail the caller
            _record(confirmed, accepted)
            attempts = message.attempts + 1
            OutboxMessage.objects.filter(pk=message.pk).update(
                attempts=attempts, last_error=repr(exc)[:2000], next_attempt_at=timezone.now() + _backoff(attempts),
                claimed_until=None,
            )
            untried = [later.pk for later in messages[index + 1:]]
            if untried:
                OutboxMessage.objects.filter(pk__in=untried).update(claimed_until=None)
            logger.warning("outbox message %s not sent (attempt %s): %r", message.pk, attempts, exc)
            return len(confirmed) + len(accepted)
        (confirmed if sent else accepted).append(message.pk)
    _record(confirmed, accepted)
    return len(confirmed) + len(accepted)


def _record(confirmed: list[int], accepted: list[int]) -> None:
    """One UPDATE for the rows the broker confirmed (sent), one for those the embedded worker accepted."""
    if confirmed:
        OutboxMessage.objects.filter(pk__in=confirmed).update(
            attempts=F("attempts") + 1, sent_at=timezone.now(), claimed_until=None
        )
    if accepted:
        OutboxMessage.objects.filter(pk__in=accepted).update(attempts=F("attempts") + 1)


def outbox_send_due(*, limit: int = 100) -> int:
    """Send unsent, unclaimed messages whose backoff has passed, oldest first. Returns how many went."""
    now = timezone.now()
    due = (
        OutboxMessage.objects.filter(sent_at__isnull=True)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
    return outbox_send_many(message_ids=list(due))


def outbox_take_up(*, message_id: int) -> bool:
    """The embedded worker starts the job: renew the lease and count the delivery.

    Returns False when the job has been taken up MAX_DELIVERIES times already without
    finishing (each time the process died under it): it is then given up, with a reason,
    through the domain's dead-letter handler, and marked done.
    """
    now = timezone.now()
    OutboxMessage.objects.filter(pk=message_id).update(deliveries=F("deliveries") + 1, claimed_until=now + LEASE)
    message = OutboxMessage.objects.filter(pk=message_id).first()
    if message is None or message.sent_at is not None:
        return False
    if message.deliveries <= MAX_DELIVERIES:
        return True
    reason = _(
        "The worker stopped %(n)s times while working on this job, so it was not tried again."
    ) % {"n": MAX_DELIVERIES}
    give_up(queue=message.queue, payload=message.payload, reason=reason)
    outbox_done(message_id=message_id)
    return False


def outbox_renew(*, message_id: int) -> None:
    """Keep the lease of a job the embedded worker is still working on."""
    OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).update(claimed_until=timezone.now() + LEASE)


def outbox_done(*, message_id: int) -> None:
    OutboxMessage.objects.filter(pk=message_id).update(sent_at=timezone.now(), claimed_until=None)
