import uuid

from django import forms
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from marketplace.core.exceptions import ServiceError
from marketplace.core.params import ascii_int, parse_id
from marketplace.generations.models import Generation
from marketplace.generations.pricing import generation_cost
from marketplace.generations.services import MAX_PROMPT_TAGS, MAX_SEED
from marketplace.styles.models import Style
from marketplace.styles.tags import parse_tags

QUOTE_FIELD = "quoted_cost"  # the cost the form showed, posted back with it (templates/generations/generate.html)
# The form shown again after a submit lists the styles as of at most this long ago (one query saved per submit);
# a style gone since is refused by generation_submit with the same words as the form's own check.
STYLE_CHOICES_SECONDS = 60


class StyleIdField(forms.ModelChoiceField):
    """Offers the live styles; a posted choice is only read as an id: generation_submit loads (and locks)
    the style and refuses one that is not available, so the form does not read the same row first."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        style_id = parse_id(value)
        if style_id is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return style_id


class GenerateForm(forms.Form):
    style = StyleIdField(
        label=_("Style"), queryset=Style.objects.live().exclude(model_path="").order_by("name"),
        empty_label=_("Choose a style"),
        # A style that stopped being live (deleted, hidden by a moderator) since the form was shown.
        error_messages={"invalid_choice": _("This style is not available for generation.")},
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

    def clean(self) -> dict:
        data = super().clean()
        # The quote is not a bound field: the cost preview (#generation-cost) renders it next to the price
        # it shows, so every re-render carries the server's current price, never the one posted.
        quote = str(self.data.get(QUOTE_FIELD, ""))
        data["quoted_cost"] = ascii_int(quote)
        style_id, ratio = data.get("style"), data.get("aspect_ratio")
        if data["quoted_cost"] is None and style_id is not None and ratio:
            # Nothing was shown (a style picked without JavaScript): show the price before charging it.
            style = self.fields["style"].queryset.filter(pk=style_id).first()
            if style is None:
                raise forms.ValidationError({"style": self.fields["style"].error_messages["invalid_choice"]})
            cost = generation_cost(price_per_generation=style.price_per_generation, aspect_ratio=ratio)
            raise forms.ValidationError(
                ngettext(
                    "This image costs %(cost)s token; confirm to continue.",
                    "This image costs %(cost)s tokens; confirm to continue.", cost,
                ) % {"cost": cost},
                code="unquoted",
            )
        return data

    def submission(self) -> dict:
        """generation_submit's arguments from a valid form: the price only as the quote the buyer saw."""
        data = self.cleaned_data
        return {
            "style_id": data["style"], "prompt_tags": data["tags"], "aspect_ratio": data["aspect_ratio"],
            "seed": data["seed"], "request_key": data["request_key"], "quoted_cost": data["quoted_cost"],
        }

    def add_service_error(self, error: ServiceError) -> None:
        # Short of tokens or a changed price: the re-rendered form's main button and quote follow the
        # fresh balance and price (cost_context), so the message is all the error needs to add.
        self.add_error(None, error.message)

    def fresh_for(self, generation: Generation) -> "GenerateForm":
        """A new form (new request key) that keeps what was asked, for the next image."""
        initial = {"style": generation.style_id, "tags": generation.prompt, "aspect_ratio": generation.aspect_ratio}
        fresh = GenerateForm(initial=initial, fixed_style=self.fields["style"].widget.is_hidden)
        if not fresh.fields["style"].widget.is_hidden:
            fresh.fields["style"].choices = _recent_style_choices(fresh.fields["style"])
        return fresh


def _recent_style_choices(field: StyleIdField) -> list[tuple]:
    choices = cache.get("generations:style-choices")
    if choices is None:
        choices = list(field.queryset.values_list("pk", "name"))
        cache.set("generations:style-choices", choices, timeout=STYLE_CHOICES_SECONDS)
    return [("", field.empty_label), *choices]


def cost_context(user, style: Style | None, aspect_ratio: str) -> dict:
    """The price shown beside the form, always computed from the style's price, and the user's balance."""
    cost = None
    if style is not None and aspect_ratio in Generation.AspectRatio.values:
        cost = generation_cost(price_per_generation=style.price_per_generation, aspect_ratio=aspect_ratio)
    balance = user.token_balance if user.is_authenticated else None
    # Short: the main button becomes "Buy tokens". At zero, whatever is chosen.
    short = balance is not None and (balance == 0 or (cost is not None and cost > balance))
    return {"cost": cost, "balance": balance, "short": short}


def form_context(user, form: GenerateForm) -> dict:
    """The form with the price of what it currently asks for and the user's fresh balance."""
    if user.is_authenticated:
        user.refresh_from_db(fields=["token_balance"])
    style = parse_id(form["style"].value())
    selected = Style.objects.live().filter(pk=style).first() if style else None
    return {"form": form, **cost_context(user, selected, form["aspect_ratio"].value())}


def generate_context(user, style: Style) -> dict:
    """What the generate form needs when it is embedded in a style's page."""
    form = GenerateForm(initial={"style": style.pk}, fixed_style=True)
    return {"form": form, **cost_context(user, style, form["aspect_ratio"].value())}
