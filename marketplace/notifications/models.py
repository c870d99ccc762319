from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    class Kind(models.TextChoices):
        TRAINING_COMPLETE = "training_complete", _("Training complete")
        TRAINING_FAILED = "training_failed", _("Training failed")
        GENERATION_COMPLETE = "generation_complete", _("Generation complete")
        GENERATION_FAILED = "generation_failed", _("Generation failed")
        LIKE = "like", _("Like")
        COMMENT = "comment", _("Comment")
        FOLLOW = "follow", _("Follow")
        SYSTEM = "system", _("System")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    message = models.CharField(_("message"), max_length=500)
    link = models.CharField(_("link"), max_length=300, blank=True)
    is_read = models.BooleanField(_("read"), default=False)
    # Makes "notify exactly once" a database fact for event-driven notices.
    dedupe_key = models.CharField(max_length=120, null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "is_read", "created_at"], name="notification_inbox_idx")]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.message[:50]}"
