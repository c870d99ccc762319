from django.db import models


class OutboxMessage(models.Model):
    """A broker message written in the same transaction as the rows it announces.

    Published right after commit when possible; the dispatcher sends whatever
    is still unsent, so a message is never lost when the broker is down.
    """

    queue = models.CharField(max_length=50)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # A sender claims a row for a short lease and publishes outside any transaction; a crashed
    # sender's claim simply expires. The embedded worker keeps the lease while the job waits in its
    # thread, and the row counts as sent only once the job was taken up and handled.
    claimed_until = models.DateTimeField(null=True, blank=True)
    deliveries = models.PositiveIntegerField(default=0, help_text="times the embedded worker took the job up")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=models.Q(sent_at__isnull=True), name="outbox_unsent_idx")
        ]

    def __str__(self) -> str:
        return f"{self.queue} #{self.pk} ({'sent' if self.sent_at else 'unsent'})"
