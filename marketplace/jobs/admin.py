from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy

from marketplace.core.admin import ReadOnlyModelAdmin
from marketplace.jobs.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyModelAdmin):
    """What was (or still is to be) published to the broker; the relay alone writes these rows."""

    list_display = ("id", "queue", "created_at", "sent_at", "attempts", "next_attempt_at", "error")
    list_filter = ("queue", ("sent_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("queue", "last_error")
    date_hierarchy = "created_at"

    @admin.display(description=gettext_lazy("last error"))
    def error(self, obj: OutboxMessage) -> str:
        return Truncator(obj.last_error).chars(80)

