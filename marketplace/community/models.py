from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from marketplace.generations.models import Generation

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


class Comment(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments")
    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="comments")
    body = models.TextField(_("comment"), max_length=COMMENT_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
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
