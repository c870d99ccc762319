"""Likes, comments, follows and reports: each keyword-only, in one transaction, race-safe.

The acting person always comes from the request (never from the client), and the
notifications they cause are created after commit by the notifications service.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from marketplace.community.models import COMMENT_MAX_LENGTH, Comment, Follow, Like, Report, reportable_models
from marketplace.core.exceptions import NotAllowed, ServiceError
from marketplace.generations.models import Generation
from marketplace.notifications.models import Notification
from marketplace.notifications.services import notification_create_on_commit


def image_title(generation: Generation) -> str:
    """How notices and pages name an image: the start of its prompt."""
    return Truncator(generation.prompt).chars(60)


def _interactable(user):
    """Finished images user can see: anyone's public ones, and their own."""
    return Generation.objects.visible_to(user).filter(status=Generation.Status.COMPLETED, deleted_at__isnull=True)


def like_toggle(*, user, generation_id: int, like: bool | None = None) -> tuple[bool, int]:
    """Like or unlike an image; returns (liked, like count).

    `like` is the state asked for (the button says which): asking twice gives the same
    result, so a double click or two concurrent requests make one like. None flips.
    Raises Generation.DoesNotExist for an image user cannot see.
    """
    with transaction.atomic():
        generation = _interactable(user).select_related("user").get(pk=generation_id)
        existing = Like.objects.filter(user=user, generation=generation)
        if like is None:
            like = not existing.exists()
        if like:
            _like, created = Like.objects.get_or_create(user=user, generation=generation)
            if created:
                notification_create_on_commit(
                    recipient=generation.user, actor=user, kind=Notification.Kind.LIKE,
                    subject=image_title(generation), link=generation.get_absolute_url(),
                    dedupe_key=f"like:{user.pk}:{generation.pk}", group_key=f"like:{generation.pk}",
                )
        else:
            existing.delete()
        return like, Like.objects.filter(generation=generation).count()


def comment_create(*, user, generation_id: int, body: str) -> Comment:
    """Post a comment (1 to 500 characters, not only spaces) on an image user can see."""
    body = (body or "").strip()
    if not body:
        raise ServiceError(_("Write something before posting."), code="comment_empty")
    if len(body) > COMMENT_MAX_LENGTH:
        raise ServiceError(
            _("A comment can be at most %(max)s characters; this one has %(n)s.")
            % {"max": COMMENT_MAX_LENGTH, "n": len(body)},
            code="comment_too_long",
        )
    with transaction.atomic():
        generation = _interactable(user).select_related("user").get(pk=generation_id)
        comment = Comment.objects.create(user=user, generation=generation, body=body)
        notification_create_on_commit(
            recipient=generation.user, actor=user, kind=Notification.Kind.COMMENT,
            subject=image_title(generation), link=f"{generation.get_absolute_url()}#comment-{comment.pk}",
            dedupe_key=f"comment:{comment.pk}", group_key=f"comment:{generation.pk}",
        )
        return comment


def comment_delete(*, user, comment_id: int) -> None:
    """Delete a comment: its author may, and so may staff. Raises NotAllowed for anyone else."""
    with transaction.atomic():
        comment = Comment.objects.select_for_update().get(pk=comment_id)
        if comment.user_id != user.pk and not user.is_staff:
            raise NotAllowed(_("Only its author, or staff, can delete a comment."))
        comment.delete()


def follow_toggle(*, follower, following_id: int, follow: bool | None = None) -> tuple[bool, int]:
    """Follow or unfollow a person; returns (following, their follower count).

    Like like_toggle, `follow` is the state asked for, so repeats and races make one follow.
    Nobody can follow themselves. Raises User.DoesNotExist for an unknown or inactive person.
    """
    if follower.pk == following_id:
        raise ServiceError(_("You cannot follow yourself."), code="follow_self")
    with transaction.atomic():
        artist = get_user_model().objects.get(pk=following_id, is_active=True)
        existing = Follow.objects.filter(follower=follower, following=artist)
        if follow is None:
            follow = not existing.exists()
        if follow:
            _follow, created = Follow.objects.get_or_create(follower=follower, following=artist)
            if created:
                notification_create_on_commit(
                    recipient=artist, actor=follower, kind=Notification.Kind.FOLLOW,
                    link=follower.get_absolute_url(), dedupe_key=f"follow:{follower.pk}:{artist.pk}",
                    group_key="follow",
                )
        else:
            existing.delete()
        return follow, Follow.objects.filter(following=artist).count()


def report_target(*, user, model_name: str, object_id: int):
    """The image, comment or style user is reporting, if user can see it; else DoesNotExist."""
    models = {model._meta.model_name: model for model in reportable_models()}
    if model_name not in models:
        raise Generation.DoesNotExist
    model = models[model_name]
    if model is Generation:
        return Generation.objects.visible_to(user).filter(deleted_at__isnull=True).get(pk=object_id)
    if model is Comment:
        return Comment.objects.visible_to(user).get(pk=object_id, generation__in=Generation.objects.visible_to(user))
    return model.objects.visible_to(user).get(pk=object_id)


def report_create(*, reporter, target, reason: str, note: str = "") -> Report:
    """Report an image, comment or style for moderation; one open report per person and object.

    Reporting again while your report is open changes nothing and returns that report.
    """
    if reason not in Report.Reason.values:
        raise ServiceError(_("Choose why you are reporting this."), code="report_reason")
    note = (note or "").strip()
    if len(note) > 500:
        raise ServiceError(_("Keep the note under 500 characters."), code="report_note")
    target_type = ContentType.objects.get_for_model(target)
    owner_id = target.artist_id if hasattr(target, "artist_id") else target.user_id
    if owner_id == reporter.pk:
        raise ServiceError(_("You cannot report your own work."), code="report_own")
    fields = {"reporter": reporter, "target_type": target_type, "target_id": target.pk, "status": Report.Status.OPEN}
    try:
        with transaction.atomic():
            return Report.objects.create(**fields, reason=reason, note=note)
    except IntegrityError:
        return Report.objects.get(**fields)
