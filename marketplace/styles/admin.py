from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.http import HttpResponseRedirect
from django.utils.html import format_html
from django.utils.translation import gettext_lazy, ngettext

from marketplace.core.admin import ReadOnlyAdminMixin
from marketplace.core.exceptions import ServiceError
from marketplace.styles.models import Style, Tag, TrainingImage
from marketplace.styles.services import MAX_TAGS, style_soft_delete, style_update, style_validate_update
from marketplace.styles.tags import parse_tags

# Set only by the training pipeline (services and worker webhooks).
TRAINING_FIELDS = (
    "training_status", "training_progress", "model_path", "training_started_at", "trained_at", "failure_reason",
)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)


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


class StyleAdminForm(forms.ModelForm):
    """What buyers see, saved only through style_update, so staff meet the artist's rules (tags, price)."""

    # Not "tags": that is the model's many-to-many (through StyleTag), which this form never writes.
    tag_names = forms.CharField(
        label=gettext_lazy("Tags"), required=False,
        help_text=gettext_lazy("Comma-separated, up to %(max)s.") % {"max": MAX_TAGS},
    )
    editor = None  # the staff user; StyleAdmin.get_form sets it on the per-request form class

    class Meta:
        model = Style
        fields = ("name", "description", "price_per_generation", "commercial_use", "credit_required")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("tag_names", ", ".join(self.instance.tags.values_list("name", flat=True)))

    def clean_tag_names(self) -> list[str]:
        return parse_tags(self.cleaned_data["tag_names"])

    def clean(self):
        data = self.cleaned_data
        if "tag_names" in data and "price_per_generation" in data:
            try:
                data["tag_names"] = style_validate_update(
                    style=self.instance, by=self.editor, tags=data["tag_names"],
                    price_per_generation=data["price_per_generation"],
                )
            except ServiceError as exc:
                # Raised before ModelForm.clean, which is what turns on the model's constraint checks:
                # the price constraint would repeat the service's message in database words.
                raise forms.ValidationError(exc.message, code=exc.code) from None
        return super().clean()


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
        (None, {"fields": ("name", "slug", "artist", "description", "tag_names", "price_per_generation")}),
        (gettext_lazy("Licence"), {"fields": ("commercial_use", "credit_required")}),
        (gettext_lazy("Training"), {"fields": TRAINING_FIELDS}),
        (gettext_lazy("Dates"), {"fields": ("created_at", "updated_at", "deleted_at")}),
    )
    readonly_fields = ("slug", "artist", *TRAINING_FIELDS, "created_at", "updated_at", "deleted_at")
    form = StyleAdminForm
    inlines = (TrainingImageInline,)
    actions = ("soft_delete",)

    def has_add_permission(self, request) -> bool:
        # A style comes into being through the artist's upload and training.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # style_update refuses a deleted style, so its page is view-only.
        if obj is not None and obj.deleted_at is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Generations and ledger entries point at styles; staff soft-delete instead.
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.editor = request.user  # a fresh class per request (modelform_factory)
        return form

    def save_model(self, request, obj, form, change) -> None:
        # The service writes the style and its tags; the form only read the input. It checks the
        # rules again under a lock, and an error here rolls back the admin's transaction.
        data = form.cleaned_data
        style_update(
            style=obj, by=request.user, name=data["name"], description=data["description"], tags=data["tag_names"],
            price_per_generation=data["price_per_generation"], commercial_use=data["commercial_use"],
            credit_required=data["credit_required"],
        )

    def save_related(self, request, form, formsets, change) -> None:
        # The form has no many-to-many of its own (style_update set the tags); the inlines are view-only.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceError as exc:
            # A rule broken between the form's check and the save (the style deleted meanwhile): the
            # exception left the admin's transaction, so nothing of this edit was kept.
            self.message_user(request, exc.message, level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

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
