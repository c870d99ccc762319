"""Likes, comments, follows and reports: each keyword-only, in one transaction, race-safe.

The acting person always comes from the request (never from the client), and the
notifications they cause are created after commit by the notifications service.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from marketplace.community.models import COMMENT_MAX_LENGTH, Comment, Follow, Like, Report, reportable_models
from marketplace.core.exceptions import NotAllowed, ServiceError
from marketplace.generations.models import Generation
from marketplace.notifications.models import Notification
from marketplace.notifications.services import notification_create_on_commit
from marketplace.styles.counters import style_counters_add


def image_title(generation: Generation) -> str:
    """How notices and pages name an image: the start of its prompt."""
    return Truncator(generation.prompt).chars(60)


def _interactable(user):
    """Finished images user can see: anyone's public ones, and their own."""
    return Generation.objects.visible_to(user).filter(status=Generation.Status.COMPLETED, deleted_at__isnull=True)


def counters_add(generation_id: int, *, likes: int = 0, comments: int = 0) -> None:
    """Move an image's like_count / comment_count by a delta, inside the caller's transaction.

    An UPDATE with F() (never read-modify-write): concurrent likes each add their own one, and the row
    lock it takes is held to commit, so the counter changes exactly when the like or comment does.
    """
    changes = {}
    if likes:
        changes["like_count"] = F("like_count") + likes
    if comments:
        changes["comment_count"] = F("comment_count") + comments
    if changes:
        Generation.objects.filter(pk=generation_id).update(**changes)
    if likes:  # the style's like_count is the sum of its images' (images first, then the style: one lock order)
        style_counters_add(generation_id=generation_id, likes=likes)


def counters_recount(generations=None) -> int:
    """Set like_count and comment_count from the rows themselves (one UPDATE with two subqueries), for
    `generations` (a queryset; default all). For seeds and imports that bulk-insert likes or comments
    past the services; returns the number of images updated."""
    likes = Like.objects.filter(generation=OuterRef("pk")).order_by().values("generation")
    shown = Comment.objects.filter(generation=OuterRef("pk"), hidden_at__isnull=True).order_by().values("generation")

    def counted(rows):
        return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")), 0)

    images = Generation.objects.all() if generations is None else generations
    return images.update(like_count=counted(likes), comment_count=counted(shown))


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
                counters_add(generation.pk, likes=1)
                notification_create_on_commit(
                    recipient=generation.user, actor=user, kind=Notification.Kind.LIKE,
                    subject=image_title(generation), link=generation.get_absolute_url(),
                    dedupe_key=f"like:{user.pk}:{generation.pk}", group_key=f"like:{generation.pk}",
                )
        else:
            # Only the request whose DELETE removed the row counts it down (a concurrent one deletes 0 rows).
            _total, deleted = existing.delete()
            counters_add(generation.pk, likes=-deleted.get(Like._meta.label, 0))
        return like, Generation.objects.values_list("like_count", flat=True).get(pk=generation.pk)


def like_delete(*, like_id: int) -> None:
    """Remove one like by id (staff cleaning up in the admin), counting it off its image."""
    with transaction.atomic():
        like = Like.objects.select_for_update().filter(pk=like_id).first()
        if like is not None:
            like.delete()
            counters_add(like.generation_id, likes=-1)


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
        counters_add(generation.pk, comments=1)
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
        if comment.hidden_at is None:  # a hidden comment was already taken off the count
            counters_add(comment.generation_id, comments=-1)


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
