from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

AVATAR_MAX_BYTES = 5 * 1024 * 1024


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
    avatar = forms.ImageField(
        label=_("Avatar"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/*"}),
        help_text=_("An image file up to 5 MB. Leave empty to keep your current avatar."),
    )

    def clean_avatar(self):
        avatar = self.cleaned_data["avatar"]
        if avatar and avatar.size > AVATAR_MAX_BYTES:
            raise forms.ValidationError(
                _("This image is %(size)s; the limit is %(limit)s."),
                params={"size": filesizeformat(avatar.size), "limit": filesizeformat(AVATAR_MAX_BYTES)},
            )
        return avatar


class ArtistForm(ProfileForm):
    display_name = forms.CharField(
        label=_("Artist name"),
        max_length=80,
        help_text=_("How buyers see you on your styles and your artist page."),
    )
