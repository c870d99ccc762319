from django.contrib import admin

from marketplace.core.admin import ReadOnlyAdminMixin
from marketplace.generations.models import Generation, GenerationTag


class GenerationTagInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The prompt tags as the buyer submitted them; part of what was paid for."""

    model = GenerationTag
    extra = 0


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = ("id", "style", "user", "status", "visibility", "cost", "aspect_ratio", "created_at")
    list_filter = ("status", "visibility", "aspect_ratio", "created_at")
    search_fields = ("prompt", "user__username", "user__email", "style__name")
    date_hierarchy = "created_at"
    list_select_related = ("style", "user")
    fields = (
        "user", "style", "prompt", "aspect_ratio", "seed", "cost", "status", "progress", "image", "failure_reason",
        "visibility", "started_at", "finished_at", "created_at", "updated_at",
    )
    # Everything but visibility is set by the generation service and the worker webhooks.
    readonly_fields = tuple(name for name in fields if name != "visibility")
    inlines = (GenerationTagInline,)

    def has_add_permission(self, request) -> bool:
        # A generation is paid for; only the generation service creates one.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Ledger entries reference generations; the record of a paid job stays.
        return False
