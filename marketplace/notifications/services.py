"""Creating and reading notifications. Other apps call these with plain values (names, links),
so this app imports none of the apps it reports on."""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from marketplace.notifications.models import (
    EMAIL_KINDS,
    Notification,
    NotificationEvent,
    NotificationSetting,
)

Kind = Notification.Kind
logger = logging.getLogger(__name__)


def grouped_message(*, kind: str, actor_name: str, others: int, subject: str = "") -> str:
    """The wording of a notice that piles up: "Noor liked …", "Noor and 3 others liked …"."""
    if kind == Kind.LIKE:
        if others:
            return ngettext(
                "%(actor)s and %(n)s other liked your image “%(subject)s”.",
                "%(actor)s and %(n)s others liked your image “%(subject)s”.", others,
            ) % {"actor": actor_name, "n": others, "subject": subject}
        return _("%(actor)s liked your image “%(subject)s”.") % {"actor": actor_name, "subject": subject}
    if kind == Kind.COMMENT:
        if others:
            return ngettext(
                "%(actor)s and %(n)s other commented on your image “%(subject)s”.",
                "%(actor)s and %(n)s others commented on your image “%(subject)s”.", others,
            ) % {"actor": actor_name, "n": others, "subject": subject}
        return _("%(actor)s commented on your image “%(subject)s”.") % {"actor": actor_name, "subject": subject}
    if kind == Kind.FOLLOW:
        if others:
            return ngettext(
                "%(actor)s and %(n)s other started following you.",
                "%(actor)s and %(n)s others started following you.", others,
            ) % {"actor": actor_name, "n": others}
        return _("%(actor)s started following you.") % {"actor": actor_name}
    raise ValueError(f"{kind} notifications are not grouped")


def notification_setting(user, kind: str) -> NotificationSetting:
    """user's choice for kind (unsaved defaults when they never changed it)."""
    found = NotificationSetting.objects.filter(user=user, kind=kind).first()
    return found or NotificationSetting(user=user, kind=kind)


def notification_settings_update(*, user, choices: dict[str, tuple[bool, bool]]) -> None:
    """Save user's choices: {kind: (in_app, email)}; email is kept only for EMAIL_KINDS."""
    with transaction.atomic():
        for kind, (in_app, email) in choices.items():
            NotificationSetting.objects.update_or_create(
                user=user, kind=Kind(kind), defaults={"in_app": in_app, "email": email and kind in EMAIL_KINDS}
            )


def _send_email(*, recipient, subject: str, message: str, link: str) -> None:
    url = f"{settings.SITE_URL.rstrip('/')}{link}" if link.startswith("/") else link
    settings_url = f"{settings.SITE_URL.rstrip('/')}{reverse('notifications:settings')}"
    body = f"{message}\n\n{url}\n\n" + _("Choose which emails you get: %(url)s") % {"url": settings_url}
    # After commit, nothing can be undone: a failing mail server is logged, never raised into the request.
    # (fail_silently is deprecated since Django 6.1.)
    try:
        send_mail(subject, body, None, [recipient.email])
    except Exception:
        logger.exception("could not email notification to user %s", recipient.pk)


def notification_create(
    *, recipient, kind: str, message: str = "", link: str = "", actor=None, subject: str = "",
    dedupe_key: str | None = None, group_key: str | None = None,
) -> Notification | None:
    """Notify recipient, unless they switched this kind off; returns the notice, or None.

    - dedupe_key: the event's name; a second call with it does nothing (redelivered reports,
      like-unlike-like).
    - group_key: an unread notice with the same key is updated instead ("Noor and 3 others …");
      message is then worded by grouped_message from actor and subject.
    Nothing is created for what a person did themselves.
    """
    if actor is not None and actor.pk == recipient.pk:
        return None
    choice = notification_setting(recipient, kind)
    try:
        with transaction.atomic():
            if not choice.in_app:
                notification = None
            elif group_key is None:
                notification = Notification.objects.create(
                    recipient=recipient, kind=kind, message=message, link=link, actor=actor, subject=subject
                )
            else:
                notification = _add_to_group(
                    recipient=recipient, kind=kind, link=link, actor=actor, subject=subject, group_key=group_key
                )
            if dedupe_key is not None:
                # Last, in the same transaction: a second call with the key fails here and undoes the above
                # (waiting on the first's commit if both run at once), one INSERT instead of a savepoint pair.
                NotificationEvent.objects.create(key=dedupe_key, notification=notification)
            if choice.email and kind in EMAIL_KINDS and recipient.email:
                transaction.on_commit(
                    partial(_send_email, recipient=recipient, subject=str(Kind(kind).label), message=message,
                            link=link)
                )
    except IntegrityError:
        if dedupe_key is None:
            raise
        return NotificationEvent.objects.select_related("notification").get(key=dedupe_key).notification
    return notification


def _add_to_group(*, recipient, kind, link, actor, subject, group_key) -> Notification:
    actor_name = actor.public_name if actor is not None else ""
    for _attempt in range(3):
        unread = (
            Notification.objects.select_for_update()
            .filter(recipient=recipient, group_key=group_key, is_read=False)
            .first()
        )
        if unread is not None:
            unread.actor, unread.actor_count = actor, unread.actor_count + 1
            unread.message = grouped_message(kind=kind, actor_name=actor_name, others=unread.actor_count - 1,
                                             subject=subject)
            unread.subject, unread.created_at = subject, timezone.now()  # back to the top of the inbox
            unread.save(update_fields=["actor", "actor_count", "message", "subject", "created_at"])
            return unread
        try:
            with transaction.atomic():
                return Notification.objects.create(
                    recipient=recipient, kind=kind, link=link, actor=actor, subject=subject, group_key=group_key,
                    message=grouped_message(kind=kind, actor_name=actor_name, others=0, subject=subject),
                )
        except IntegrityError:
            continue  # someone else opened the group at the same moment: join it
    raise RuntimeError(f"could not add to notification group {group_key}")


def notification_create_on_commit(**kwargs) -> None:
    """notification_create once the current transaction commits (at once outside one), with the same
    arguments; nothing if it rolls back. For events in community actions."""
    actor, recipient = kwargs.get("actor"), kwargs["recipient"]
    if actor is not None and actor.pk == recipient.pk:
        return
    transaction.on_commit(partial(notification_create, **kwargs))


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
