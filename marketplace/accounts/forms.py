from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.core.images import MAX_PIXELS, ImageRejected, ImageRules, clean_image, megabytes

# Avatars go through the training images' pipeline (core/images.py): content check, bounds read from the
# header, re-encoded from pixels only (no EXIF/GPS, nothing appended) and stored at most 512 px.
AVATAR = ImageRules(
    max_bytes=5 * 1024 * 1024, max_pixels=MAX_PIXELS, min_short_side=16, max_side=512, draft_side=256
)


class ProfileForm(forms.Form):
    # A plain Form, not a ModelForm: validating a ModelForm writes the
    # cleaned values onto request.user, and the save belongs to the service.
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=80,
        required=False,
        help_text=_("Shown on your styles and images instead of your username."),
    )
    bio = forms.CharField(label=_("Bio"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 4}))
    avatar = forms.FileField(
        label=_("Avatar"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png"}),
        help_text=_("A JPEG or PNG up to %(size)s. Leave empty to keep your current avatar.")
        % {"size": megabytes(AVATAR.max_bytes)},
    )

    def clean_avatar(self):
        """The re-encoded image (a CleanImage) the service stores, or None to keep the current one."""
        upload = self.cleaned_data["avatar"]
        if not upload:
            return None
        if upload.size > AVATAR.max_bytes:  # perhaps stopped while streaming: nothing to read
            raise forms.ValidationError(
                _("This image is %(size)s; the limit is %(limit)s."),
                params={"size": megabytes(upload.size), "limit": megabytes(AVATAR.max_bytes)},
            )
        try:
            return clean_image(upload.name, upload, AVATAR)
        except ImageRejected as exc:
            raise forms.ValidationError(str(exc)) from None


class ArtistForm(ProfileForm):
    display_name = forms.CharField(
        label=_("Artist name"),
        max_length=80,
        help_text=_("How buyers see you on your styles and your artist page."),
    )
