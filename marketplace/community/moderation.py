"""What staff do about reports: hide, restore, dismiss. Every call is recorded in ModerationAction
(who, when, why) and closes the object's open reports; owners hear the outcome."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.community.models import Comment, ModerationAction, Report
from marketplace.community.services import image_title
from marketplace.core.exceptions import NotAllowed, ServiceError
from marketplace.generations.models import Generation
from marketplace.notifications.models import Notification
from marketplace.notifications.services import notification_create_on_commit
from marketplace.styles.models import Style


def _describe(target) -> tuple[str, str, object]:
    """(what it is called in a notice, where it lives, its owner)."""
    if isinstance(target, Generation):
        return _("your image “%(title)s”") % {"title": image_title(target)}, target.get_absolute_url(), target.user
    if isinstance(target, Comment):
        link = f"{target.generation.get_absolute_url()}#comment-{target.pk}"
        return _("your comment “%(text)s”") % {"text": target.body[:60]}, link, target.user
    if isinstance(target, Style):
        return _("your style “%(name)s”") % {"name": target.name}, target.get_absolute_url(), target.artist
    raise TypeError(f"{type(target).__name__} cannot be moderated")


def _act(*, moderator, target, action: str, reason: str) -> ModerationAction:
    if not moderator.is_staff:
        raise NotAllowed(_("Only staff can moderate."))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Say why: the owner is told, and the record keeps it."), code="moderation_reason")
    target_type = ContentType.objects.get_for_model(target)
    record = ModerationAction.objects.create(
        moderator=moderator, action=action, target_type=target_type, target_id=target.pk, reason=reason[:500]
    )
    outcome = {ModerationAction.Action.HIDE: Report.Status.HIDDEN}.get(action, Report.Status.DISMISSED)
    if action != ModerationAction.Action.RESTORE:
        Report.objects.filter(target_type=target_type, target_id=target.pk, status=Report.Status.OPEN).update(
            status=outcome, resolved_at=timezone.now(), resolved_by=moderator
        )
    return record


def _locked(target):
    return type(target).objects.select_for_update().get(pk=target.pk)


def moderation_hide(*, moderator, target, reason: str) -> ModerationAction:
    """Hide an image, comment or style from everyone but its owner and staff; tell the owner why."""
    with transaction.atomic():
        target = _locked(target)
        record = _act(moderator=moderator, target=target, action=ModerationAction.Action.HIDE, reason=reason)
        if target.hidden_at is None:
            target.hidden_at = timezone.now()
            target.save(update_fields=["hidden_at"])
            what, link, owner = _describe(target)
            notification_create_on_commit(
                recipient=owner, kind=Notification.Kind.MODERATION, link=link,
                message=_("The moderators hid %(what)s: %(reason)s") % {"what": what, "reason": record.reason},
            )
        return record


def moderation_restore(*, moderator, target, reason: str) -> ModerationAction:
    """Undo a hide; the owner is told it is back."""
    with transaction.atomic():
        target = _locked(target)
        record = _act(moderator=moderator, target=target, action=ModerationAction.Action.RESTORE, reason=reason)
        if target.hidden_at is not None:
            target.hidden_at = None
            target.save(update_fields=["hidden_at"])
            what, link, owner = _describe(target)
            notification_create_on_commit(
                recipient=owner, kind=Notification.Kind.MODERATION, link=link,
                message=_("The moderators restored %(what)s: %(reason)s") % {"what": what, "reason": record.reason},
            )
        return record


def moderation_dismiss(*, moderator, target, reason: str) -> ModerationAction:
    """Close the open reports on an object without acting on it."""
    with transaction.atomic():
        return _act(moderator=moderator, target=target, action=ModerationAction.Action.DISMISS, reason=reason)
