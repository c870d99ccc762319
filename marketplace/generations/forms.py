import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.generations.models import Generation
from marketplace.generations.services import MAX_PROMPT_TAGS, MAX_SEED
from marketplace.styles.models import Style
from marketplace.styles.tags import parse_tags


class GenerateForm(forms.Form):
    style = forms.ModelChoiceField(
        label=_("Style"), queryset=Style.objects.live().exclude(model_path="").order_by("name"),
        empty_label=_("Choose a style"),
    )
    tags = forms.CharField(
        label=_("Prompt tags"), max_length=1100,
        help_text=_("1 to %(max)s comma-separated tags, e.g. lighthouse, dusk, rain.") % {"max": MAX_PROMPT_TAGS},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    aspect_ratio = forms.ChoiceField(
        label=_("Aspect ratio"), choices=Generation.AspectRatio.choices, initial=Generation.AspectRatio.SQUARE,
        widget=forms.RadioSelect,
    )
    seed = forms.IntegerField(
        label=_("Seed"), required=False, min_value=0, max_value=MAX_SEED,
        help_text=_("Leave empty for a random one. The same seed, style, tags and ratio give the same image."),
    )
    request_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args, fixed_style: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if fixed_style:
            # On a style's page the style is given: a hidden id, not a <select> of every style.
            self.fields["style"].widget = forms.HiddenInput()

    def clean_tags(self) -> list[str]:
        return parse_tags(self.cleaned_data["tags"])
