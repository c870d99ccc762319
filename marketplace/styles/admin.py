from django.contrib import admin
from django.contrib.admin.options import ActionLocation
from django.utils.html import format_html
from django.utils.translation import gettext_lazy, ngettext

from marketplace.core.admin import ReadOnlyAdminMixin
from marketplace.styles.models import Style, StyleTag, Tag, TrainingImage
from marketplace.styles.services import style_soft_delete

# Set only by the training pipeline (services and worker webhooks).
TRAINING_FIELDS = (
    "training_status", "training_progress", "model_path", "training_started_at", "trained_at", "failure_reason",
)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)


class StyleTagInline(admin.TabularInline):
    model = StyleTag
    autocomplete_fields = ("tag",)
    extra = 0


class TrainingImageView(ReadOnlyAdminMixin):
    """Training images are the artist's upload and the input of a trained model: shown, never edited here."""

    fields = ("position", "preview", "width", "height", "created_at")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("preview"))
    def preview(self, obj: TrainingImage) -> str:
        picture = obj.thumbnail or obj.image
        return format_html('<img src="{}" alt="" width="96">', picture.url) if picture else "–"


class TrainingImageInline(TrainingImageView, admin.TabularInline):
    model = TrainingImage
    extra = 0


@admin.register(TrainingImage)
class TrainingImageAdmin(TrainingImageView, admin.ModelAdmin):
    fields = readonly_fields = ("style", *TrainingImageView.fields)
    list_display = ("__str__", "style", "position", "width", "height", "created_at")
    search_fields = ("style__name", "style__slug")
    list_select_related = ("style",)


@admin.register(Style)
class StyleAdmin(admin.ModelAdmin):
    list_display = (
        "name", "artist", "training_status", "price_per_generation", "commercial_use", "credit_required",
        "created_at", "deleted_at",
    )
    list_filter = ("training_status", "commercial_use", "credit_required", ("deleted_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "slug", "artist__username", "artist__email")
    date_hierarchy = "created_at"
    list_select_related = ("artist",)
    fieldsets = (
        (None, {"fields": ("name", "slug", "artist", "description", "price_per_generation")}),
        (gettext_lazy("Licence"), {"fields": ("commercial_use", "credit_required")}),
        (gettext_lazy("Training"), {"fields": TRAINING_FIELDS}),
        (gettext_lazy("Dates"), {"fields": ("created_at", "updated_at", "deleted_at")}),
    )
    readonly_fields = ("slug", "artist", *TRAINING_FIELDS, "created_at", "updated_at", "deleted_at")
    inlines = (StyleTagInline, TrainingImageInline)
    actions = ("soft_delete",)

    def has_add_permission(self, request) -> bool:
        # A style comes into being through the artist's upload and training.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Generations and ledger entries point at styles; staff soft-delete instead.
        return False

    @admin.action(
        description=gettext_lazy("Soft-delete selected styles"),
        permissions=["change"],
        location=[ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM],
    )
    def soft_delete(self, request, queryset):
        styles = list(queryset.filter(deleted_at__isnull=True))
        for style in styles:
            style_soft_delete(style=style, by=request.user)
        self.message_user(
            request,
            ngettext("Soft-deleted %(count)d style.", "Soft-deleted %(count)d styles.", len(styles))
            % {"count": len(styles)},
        )
