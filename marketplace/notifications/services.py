from __future__ import annotations

from django.db import transaction

from marketplace.notifications.models import Notification


def notification_create(
    *, recipient, kind: str, message: str, link: str = "", actor=None, dedupe_key: str | None = None
) -> Notification:
    """Create a notification for recipient.

    With a dedupe_key the call is idempotent: a second call with the same key
    returns the first notification unchanged (a redelivered event notifies once).
    """
    fields = {"recipient": recipient, "kind": kind, "message": message, "link": link, "actor": actor}
    with transaction.atomic():
        if dedupe_key is None:
            return Notification.objects.create(**fields)
        # get_or_create retries the read when a concurrent insert wins the unique key.
        notification, _created = Notification.objects.get_or_create(dedupe_key=dedupe_key, defaults=fields)
        return notification


def notification_mark_read(*, user, notification_id: int) -> Notification:
    """Mark one of user's notifications read.

    Raises Notification.DoesNotExist when the id is not among user's own
    notifications, so nobody can touch another person's inbox.
    """
    with transaction.atomic():
        notification = user.notifications.select_for_update().get(pk=notification_id)
        if not notification.is_read:
            notification.is_read = True
            notification.save(update_fields=["is_read"])
        return notification


def notification_mark_all_read(*, user) -> int:
    """Mark every unread notification of user read; returns how many changed."""
    with transaction.atomic():
        return user.notifications.filter(is_read=False).update(is_read=True)
