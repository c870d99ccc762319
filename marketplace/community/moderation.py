"""What staff do about reports: hide, restore, dismiss. Every call is recorded in ModerationAction
(who, when, why) and closes the object's open reports; owners hear the outcome."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from marketplace.community.models import Comment, ModerationAction, Report
from marketplace.community.services import counters_add, image_title
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


def _notice(template: str, *, what: str, reason: str) -> str:
    # A reason may use all of its 500 characters; the notice's message has no more room than that.
    room = Notification._meta.get_field("message").max_length
    return Truncator(template % {"what": what, "reason": reason}).chars(room)


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
            if isinstance(target, Comment):  # comment_count counts what visitors see
                counters_add(target.generation_id, comments=-1)
            what, link, owner = _describe(target)
            notification_create_on_commit(
                recipient=owner, kind=Notification.Kind.MODERATION, link=link,
                message=_notice(_("The moderators hid %(what)s: %(reason)s"), what=what, reason=record.reason),
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
            if isinstance(target, Comment):
                counters_add(target.generation_id, comments=1)
            what, link, owner = _describe(target)
            notification_create_on_commit(
                recipient=owner, kind=Notification.Kind.MODERATION, link=link,
                message=_notice(_("The moderators restored %(what)s: %(reason)s"), what=what, reason=record.reason),
            )
        return record


def moderation_dismiss(*, moderator, target, reason: str) -> ModerationAction:
    """Close the open reports on an object without acting on it."""
    with transaction.atomic():
        return _act(moderator=moderator, target=target, action=ModerationAction.Action.DISMISS, reason=reason)


MODERATION_ACTIONS = {
    ModerationAction.Action.HIDE: moderation_hide,
    ModerationAction.Action.DISMISS: moderation_dismiss,
    ModerationAction.Action.RESTORE: moderation_restore,
}


class QueueEntry:
    """One reported object in the moderators' queue, with what its open reports say."""

    def __init__(self, *, target_type: ContentType, target_id: int, count: int, newest, target=None):
        self.target_type, self.target_id, self.count, self.newest = target_type, target_id, count, newest
        self.target = target
        self.reasons: dict[str, int] = {}
        self.notes: list[str] = []

    @property
    def model_name(self) -> str:
        return self.target_type.model

    @property
    def reason_summary(self) -> str:
        labels = dict(Report.Reason.choices)
        return ", ".join(
            f"{labels.get(reason, reason)} ×{n}" if n > 1 else str(labels.get(reason, reason))
            for reason, n in sorted(self.reasons.items(), key=lambda item: -item[1])
        )


def moderation_queue_groups():
    """Open reports, one row per reported object: (target_type, target_id, count, newest), newest first."""
    return (
        Report.objects.filter(status=Report.Status.OPEN).order_by()
        .values("target_type", "target_id").annotate(count=Count("pk"), newest=Max("created_at"))
        .order_by("-newest", "-target_id")
    )


def moderation_queue_entries(groups) -> list[QueueEntry]:
    """QueueEntry objects for a page of moderation_queue_groups() rows: the objects (one query per kind)
    and their open reports' reasons and notes (one query)."""
    groups = list(groups)
    if not groups:
        return []
    types = {type_id: ContentType.objects.get_for_id(type_id) for type_id in {g["target_type"] for g in groups}}
    entries = [
        QueueEntry(target_type=types[g["target_type"]], target_id=g["target_id"], count=g["count"], newest=g["newest"])
        for g in groups
    ]
    by_key = {(entry.target_type.pk, entry.target_id): entry for entry in entries}
    for type_id, content_type in types.items():
        ids = [entry.target_id for entry in entries if entry.target_type.pk == type_id]
        model = content_type.model_class()
        queryset = model._base_manager.filter(pk__in=ids)
        if model is Generation:
            queryset = queryset.select_related("user", "style")
        elif model is Comment:
            queryset = queryset.select_related("user", "generation")
        elif model is Style:
            queryset = queryset.select_related("artist")
        for obj in queryset:
            by_key[(type_id, obj.pk)].target = obj
    which = Q()
    for entry in entries:
        which |= Q(target_type=entry.target_type, target_id=entry.target_id)
    reports = Report.objects.filter(which, status=Report.Status.OPEN).values_list(
        "target_type", "target_id", "reason", "note"
    )
    for type_id, target_id, reason, note in reports:
        entry = by_key[(type_id, target_id)]
        entry.reasons[reason] = entry.reasons.get(reason, 0) + 1
        if note:
            entry.notes.append(note)
    return entries


def moderation_owner(target):
    """Who made the image, comment or style."""
    return _describe(target)[2]


def moderation_link(target) -> str:
    """Where the object is seen on the site (a comment's image page is read through target.generation)."""
    if isinstance(target, Comment):
        return f"{target.generation.get_absolute_url()}#comment-{target.pk}"
    return target.get_absolute_url()
