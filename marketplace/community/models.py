from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from marketplace.generations.models import Generation
from marketplace.styles.models import Style

COMMENT_MAX_LENGTH = 500


class Follow(models.Model):
    follower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following_set")
    following = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follower_set")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "following"], name="follow_unique"),
            models.CheckConstraint(condition=~models.Q(follower=models.F("following")), name="follow_not_self"),
        ]
        # Who you follow, most recent first, a keyset page at a time (views.social.following).
        indexes = [models.Index(fields=["follower", "created_at"], name="follow_follower_created_idx")]

    def __str__(self) -> str:
        return f"{self.follower} → {self.following}"


class Like(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes")
    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "generation"], name="like_unique_per_user_image")]

    def __str__(self) -> str:
        return f"{self.user} ♥ {self.generation_id}"


class CommentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Comments not hidden by a moderator; their authors and staff also see hidden ones."""
        if user.is_staff:
            return self
        if user.is_authenticated:
            return self.filter(models.Q(hidden_at__isnull=True) | models.Q(user=user))
        return self.filter(hidden_at__isnull=True)


class Comment(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments")
    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="comments")
    body = models.TextField(_("comment"), max_length=COMMENT_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    hidden_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["generation", "created_at", "id"], name="comment_thread_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    models.lookups.GreaterThan(Length("body"), 0),
                    models.lookups.LessThanOrEqual(Length("body"), COMMENT_MAX_LENGTH),
                ),
                name="comment_body_length",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.body[:40]}"


def reportable_models() -> tuple[type[models.Model], ...]:
    """What people can report and moderators can hide: an image, a comment, a style."""
    return (Generation, Comment, Style)


def _reportable_types() -> models.Q:
    return models.Q(app_label="generations", model="generation") | models.Q(
        app_label="community", model="comment"
    ) | models.Q(app_label="styles", model="style")


class Report(models.Model):
    """Someone's report of an image, comment or style for the moderators."""

    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam")
        STOLEN = "stolen", _("Stolen art")
        EXPLICIT = "explicit", _("Explicit content")
        HARASSMENT = "harassment", _("Harassment")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        HIDDEN = "hidden", _("Object hidden")
        DISMISSED = "dismissed", _("Dismissed")

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made")
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, limit_choices_to=_reportable_types)
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "target_type", "target_id"], name="report_queue_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "target_type", "target_id"], condition=models.Q(status="open"),
                name="report_one_open_per_person_object",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} · {self.target_type.model} #{self.target_id}"


class ModerationAction(models.Model):
    """The record of what a staff member did to an object, when and why. Rows are never edited."""

    class Action(models.TextChoices):
        HIDE = "hide", _("Hidden")
        RESTORE = "restore", _("Restored")
        DISMISS = "dismiss", _("Reports dismissed")

    moderator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, limit_choices_to=_reportable_types)
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    reason = models.CharField(_("reason"), max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="moderation_target_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.target_type.model} #{self.target_id} by {self.moderator}"
