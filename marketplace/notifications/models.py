from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    class Kind(models.TextChoices):
        LIKE = "like", _("Likes on your images")
        COMMENT = "comment", _("Comments on your images")
        FOLLOW = "follow", _("New followers")
        GENERATION_COMPLETE = "generation_complete", _("Your image is ready")
        GENERATION_FAILED = "generation_failed", _("A generation failed and was refunded")
        TRAINING_COMPLETE = "training_complete", _("Training completed")
        TRAINING_FAILED = "training_failed", _("Training failed")
        MODERATION = "moderation", _("Moderation decisions on your content")
        SYSTEM = "system", _("Announcements")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    # The latest person behind it; a grouped notification ("Noor and 3 others liked …") counts the rest.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    actor_count = models.PositiveIntegerField(default=1, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    message = models.CharField(_("message"), max_length=500)
    # What the notice is about, by name ("Sunset Drive"), so a grouped message can be re-worded.
    subject = models.CharField(max_length=200, blank=True, editable=False)
    link = models.CharField(_("link"), max_length=300, blank=True)
    is_read = models.BooleanField(_("read"), default=False)
    # Unread notices with the same group key fold into one row (see services.notification_create).
    group_key = models.CharField(max_length=120, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "is_read", "created_at"], name="notification_inbox_idx"),
            # The list, newest first, a keyset page at a time (views._inbox_page): a backward range scan, no sort.
            models.Index(fields=["recipient", "created_at"], name="notification_list_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "group_key"], condition=models.Q(is_read=False, group_key__isnull=False),
                name="notification_one_unread_group",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.message[:50]}"

    @property
    def reports_failure(self) -> bool:
        """A job of the recipient's failed (the list marks it as such)."""
        return self.kind in {self.Kind.GENERATION_FAILED, self.Kind.TRAINING_FAILED}


class NotificationEvent(models.Model):
    """An event that has been announced once: makes "notify exactly once" a database fact.

    Keyed by what happened ("like:<user>:<image>", "training:<style>:completed"), so a redelivered
    report, or a like taken back and given again, never notifies twice.
    """

    key = models.CharField(max_length=120, unique=True)
    notification = models.ForeignKey(Notification, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key


# Kinds a person can also get by email: the ones about their own jobs and money.
EMAIL_KINDS = frozenset(
    {Notification.Kind.TRAINING_COMPLETE, Notification.Kind.TRAINING_FAILED, Notification.Kind.GENERATION_FAILED}
)
# Kinds a person can switch off; announcements always arrive.
SETTABLE_KINDS = tuple(kind for kind in Notification.Kind if kind != Notification.Kind.SYSTEM)


class NotificationSetting(models.Model):
    """One person's choice for one kind. No row means the default: in the app, no email."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings")
    kind = models.CharField(max_length=20, choices=Notification.Kind.choices)
    in_app = models.BooleanField(_("in the app"), default=True)
    email = models.BooleanField(_("by email"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_setting_unique"),
            models.CheckConstraint(
                condition=models.Q(email=False) | models.Q(kind__in=sorted(EMAIL_KINDS)),
                name="notification_setting_email_kinds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind}"
