from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.contrib.auth import get_permission_codename
from django.utils.translation import gettext_lazy, ngettext

from marketplace.core.admin import ReadOnlyAdminMixin
from marketplace.core.exceptions import ServiceError
from marketplace.generations.models import Generation, GenerationTag
from marketplace.generations.services import generation_withdraw


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
    # Set by the generation service and the worker webhooks; visibility by its owner (publish,
    # withdraw) or by staff through the withdraw action below. Only the owner may publish.
    readonly_fields = fields
    inlines = (GenerationTagInline,)
    actions = ("withdraw",)

    def has_add_permission(self, request) -> bool:
        # A generation is paid for; only the generation service creates one.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # Nothing here is edited by hand: the change page is view-only, so a POST to it is refused
        # and a stale form can never write a worker's status back. Moderation is the action.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Ledger entries reference generations; the record of a paid job stays.
        return False

    def has_withdraw_permission(self, request) -> bool:
        # The permission staff would need to change a generation, without the change form.
        codename = get_permission_codename("change", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    @admin.action(
        description=gettext_lazy("Withdraw selected images from the feed"),
        permissions=["withdraw"],
        location=[ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM],
    )
    def withdraw(self, request, queryset):
        withdrawn = 0
        for pk in queryset.filter(visibility=Generation.Visibility.PUBLIC).values_list("pk", flat=True):
            try:
                generation_withdraw(by=request.user, generation_id=pk)
            except ServiceError as exc:
                self.message_user(request, exc.message, level=messages.ERROR)
            else:
                withdrawn += 1
        self.message_user(
            request,
            ngettext("Withdrew %(count)d image from the feed.", "Withdrew %(count)d images from the feed.", withdrawn)
            % {"count": withdrawn},
        )
