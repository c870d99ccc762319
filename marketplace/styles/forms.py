from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.core.images import MAX_BYTES, MIN_SHORT_SIDE, megabytes
from marketplace.styles.filters import TAG_SUGGEST_ATTRS
from marketplace.styles.models import MAX_PRICE, MIN_PRICE
from marketplace.styles.services import MAX_TAGS, MAX_TRAINING_IMAGES, MIN_TRAINING_IMAGES
from marketplace.styles.tags import MAX_TAG_LENGTH, parse_tags


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; their content is judged by the service, as a set."""

    widget = MultipleImageInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def licence_field(label, help_text):
    # A radio group with no initial value: the artist has to answer.
    return forms.TypedChoiceField(
        label=label, help_text=help_text, choices=YES_NO, coerce=lambda value: value == "yes",
        widget=forms.RadioSelect, error_messages={"required": _("Choose yes or no.")},
    )


class StyleUploadForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    tags = forms.CharField(
        label=_("Tags"), max_length=600, required=False,
        help_text=_("Comma-separated, up to %(max)s, e.g. watercolor, botanical.") % {"max": MAX_TAGS},
        widget=forms.TextInput(attrs=TAG_SUGGEST_ATTRS),
    )
    price_per_generation = forms.IntegerField(
        label=_("Price per image (tokens)"), min_value=MIN_PRICE, max_value=MAX_PRICE,
        help_text=_("Between %(min)s and %(max)s tokens for a 1:1 image; larger ratios cost 2× or 4×.")
        % {"min": MIN_PRICE, "max": MAX_PRICE},
    )
    commercial_use = licence_field(
        _("May buyers use images in this style commercially?"),
        _("“No” limits images made with your style to personal use."),
    )
    credit_required = licence_field(
        _("Must buyers credit you when they publish an image?"),
        _("“Yes” asks them to name you next to every published image."),
    )
    images = MultipleFileField(
        label=_("Training images"),
        help_text=_(
            "%(min)s to %(max)s JPEG or PNG images of your own work, up to %(size)s each, at least %(side)s px."
        ) % {
            "min": MIN_TRAINING_IMAGES, "max": MAX_TRAINING_IMAGES,
            "size": megabytes(MAX_BYTES), "side": MIN_SHORT_SIDE,
        },
        widget=MultipleImageInput(attrs={"accept": "image/jpeg,image/png"}),
    )
    # The template reads these (intro text, and data-* on the <form> for upload.js's pre-check).
    min_images = MIN_TRAINING_IMAGES
    max_images = MAX_TRAINING_IMAGES
    max_image_bytes = MAX_BYTES
    min_short_side = MIN_SHORT_SIDE

    def clean_tags(self) -> list[str]:
        tags = parse_tags(self.cleaned_data["tags"])
        if len(tags) > MAX_TAGS:
            raise forms.ValidationError(
                _("Use at most %(max)s tags; you gave %(count)s.") % {"max": MAX_TAGS, "count": len(tags)}
            )
        too_long = [tag for tag in tags if len(tag) > MAX_TAG_LENGTH]
        if too_long:
            raise forms.ValidationError(
                _("Tags are at most %(max)s characters: %(tag)s") % {"max": MAX_TAG_LENGTH, "tag": too_long[0]}
            )
        return tags


class StyleEditForm(forms.Form):
    name = StyleUploadForm.base_fields["name"]
    description = StyleUploadForm.base_fields["description"]
    tags = StyleUploadForm.base_fields["tags"]
    price_per_generation = StyleUploadForm.base_fields["price_per_generation"]
    commercial_use = StyleUploadForm.base_fields["commercial_use"]
    credit_required = StyleUploadForm.base_fields["credit_required"]
    clean_tags = StyleUploadForm.clean_tags

    @classmethod
    def initial_for(cls, style) -> dict:
        return {
            "name": style.name, "description": style.description,
            "tags": ", ".join(style.tags.values_list("name", flat=True)),
            "price_per_generation": style.price_per_generation,
            "commercial_use": "yes" if style.commercial_use else "no",
            "credit_required": "yes" if style.credit_required else "no",
        }
