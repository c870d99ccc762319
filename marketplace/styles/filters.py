"""The catalog's filters and sort orders, bound straight from the query string."""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Case, Exists, OuterRef, Q, TextChoices, Value, When
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace.styles.models import Style, StyleQuerySet
from marketplace.styles.tags import parse_tags

# Wires a comma-separated tag input to the suggestion fragment (views.tag_suggest); the page must hold
# an empty <datalist id="tag-suggestions">. static/js/atelier.js sends the whole text as `q` whatever the input's name.
TAG_SUGGEST_ATTRS = {
    "list": "tag-suggestions",
    "autocomplete": "off",
    "hx-get": reverse_lazy("styles:tag-suggest"),
    "hx-trigger": "input changed delay:200ms",
    "data-suggest-tags": "",
    "hx-target": "#tag-suggestions",
    "hx-swap": "innerHTML",
    "hx-push-url": "false",
    "hx-sync": "this:replace",
}


# Wires the catalog's artist input to its suggestion fragment (views.artist_suggest), like the tag inputs: the page
# must hold an empty <datalist id="artist-suggestions">; static/js/atelier.js sends the input's text as `q`.
ARTIST_SUGGEST_ATTRS = {
    "list": "artist-suggestions",
    "autocomplete": "off",
    "hx-get": reverse_lazy("styles:artist-suggest"),
    "hx-trigger": "input changed delay:200ms",
    "data-suggest-artists": "",
    "hx-target": "#artist-suggestions",
    "hx-swap": "innerHTML",
    "hx-push-url": "false",
    "hx-sync": "this:replace",
}


class TagSuggestForm(forms.Form):
    """The text typed so far in a suggesting input (views.tag_suggest, views.artist_suggest). A form field refuses
    a NUL character, which PostgreSQL cannot hold in a query."""

    q = forms.CharField(required=False, strip=False)

    def typed(self) -> str:
        return self.cleaned_data["q"] if self.is_valid() else ""


class Sort(TextChoices):
    NEWEST = "newest", gettext_lazy("Newest")
    POPULAR = "popular", gettext_lazy("Most used")
    PRICE = "price", gettext_lazy("Price: low to high")
    PRICE_DESC = "-price", gettext_lazy("Price: high to low")


ORDERINGS = {
    Sort.PRICE: ("price_per_generation", "-created_at", "-id"),
    Sort.PRICE_DESC: ("-price_per_generation", "-created_at", "-id"),
}


class TagListFilter(django_filters.CharFilter):
    """A comma-separated list of tags applied with one of StyleQuerySet's tagged_* methods."""

    def __init__(self, *, apply, **kwargs):
        self.apply = apply
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={**TAG_SUGGEST_ATTRS, "placeholder": gettext_lazy("e.g. ink, portrait")})
        )
        super().__init__(**kwargs)

    def filter(self, qs, value):
        names = parse_tags(value or "")
        return self.apply(qs, names) if names else qs


class TokenFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


def artists_with_live_styles():
    live = Style.objects.live().filter(artist=OuterRef("pk"))
    return get_user_model().objects.filter(Exists(live)).order_by("display_name", "username")


class ArtistField(forms.CharField):
    """An artist with live styles, typed as their handle (what the suggestions fill in) or their id (older links)."""

    def __init__(self, **kwargs):
        kwargs["required"] = False
        super().__init__(**kwargs)
        self.found = None

    def clean(self, value):
        typed = super().clean(value)
        if not typed:
            return None
        artists = artists_with_live_styles()
        by_handle = Q(username__iexact=typed)
        by_id = by_handle
        if typed.isascii() and typed.isdigit() and len(typed) < 10:  # within PostgreSQL's integer
            by_id |= Q(pk=int(typed))
        # A handle of digits is that artist's, not the id of another.
        handle_first = Case(When(by_handle, then=Value(0)), default=Value(1))
        self.found = artists.filter(by_id).order_by(handle_first).first()
        if self.found is None:
            raise forms.ValidationError(
                _("No artist with live styles goes by “%s”. Pick one of the suggestions, or leave it empty.") % typed
            )
        return self.found

    def bound_data(self, data, initial):
        """Shows a found artist by handle, also when the link named them by id."""
        return self.found.username if self.found is not None else data


class ArtistFilter(django_filters.Filter):
    field_class = ArtistField

    def __init__(self, **kwargs):
        attrs = {**ARTIST_SUGGEST_ATTRS, "placeholder": gettext_lazy("Name or handle")}
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs))
        super().__init__(field_name="artist", **kwargs)


class StyleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=gettext_lazy("Search"),
        method="search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": gettext_lazy("Name or description")}),
    )
    tags = TagListFilter(label=gettext_lazy("With all of these tags"), apply=StyleQuerySet.tagged_all)
    tags_any = TagListFilter(label=gettext_lazy("With any of these tags"), apply=StyleQuerySet.tagged_any)
    tags_not = TagListFilter(label=gettext_lazy("Without these tags"), apply=StyleQuerySet.tagged_none)
    artist = ArtistFilter(label=gettext_lazy("Artist"))
    price_min = TokenFilter(
        label=gettext_lazy("Price from (tokens)"),
        field_name="price_per_generation",
        lookup_expr="gte",
        widget=forms.NumberInput(attrs={"min": 1}),
    )
    price_max = TokenFilter(
        label=gettext_lazy("Price up to (tokens)"),
        field_name="price_per_generation",
        lookup_expr="lte",
        widget=forms.NumberInput(attrs={"min": 1}),
    )
    commercial = django_filters.BooleanFilter(
        label=gettext_lazy("Commercial use allowed"), method="commercial_only", widget=forms.CheckboxInput
    )
    sort = django_filters.ChoiceFilter(
        label=gettext_lazy("Sort by"), choices=Sort.choices, empty_label=None, method="sort_by"
    )

    class Meta:
        model = Style
        fields = []

    def __init__(self, data=None, *args, **kwargs):
        # Newest is the default order: filling it in makes the form show it and sort_by always run.
        if data is not None and not data.get("sort"):
            data = data.copy()
            data["sort"] = Sort.NEWEST
        # Links from before the artist input (the artist page's "all styles") name the artist as ?artist_id=<id>.
        if data is not None and data.get("artist_id") and not data.get("artist"):
            data = data.copy()
            data["artist"] = data["artist_id"]
        super().__init__(data, *args, **kwargs)

    @property
    def applied_sort(self) -> Sort:
        """The order applied; an unknown value falls back to newest (the model's default ordering)."""
        return Sort(self.form.cleaned_data.get("sort") or Sort.NEWEST)

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value))

    def commercial_only(self, queryset, name, value):
        return queryset.filter(commercial_use=True) if value else queryset

    def sort_by(self, queryset, name, value):
        if value == Sort.POPULAR:
            return queryset.popular()
        return queryset.order_by(*ORDERINGS.get(value, ("-created_at", "-id")))

    def applied(self) -> list[tuple[str, tuple[str, ...]]]:
        """The applied filters: each in words, with the query parameters that make it (what removing it drops)."""
        data = self.form.cleaned_data
        described = []
        for key, words in (("tags", _("all of: %s")), ("tags_any", _("any of: %s")), ("tags_not", _("none of: %s"))):
            if names := parse_tags(data.get(key) or ""):
                described.append((words % ", ".join(names), (key,)))
        if data.get("q"):
            described.append((_("matching “%s”") % data["q"], ("q",)))
        if data.get("artist"):
            described.append((_("by %s") % data["artist"].public_name, ("artist", "artist_id")))
        if data.get("price_min") is not None:
            described.append((_("from %s tokens") % data["price_min"], ("price_min",)))
        if data.get("price_max") is not None:
            described.append((_("up to %s tokens") % data["price_max"], ("price_max",)))
        if data.get("commercial"):
            described.append((_("commercial use allowed"), ("commercial",)))
        return described

    def active(self) -> list[str]:
        """The applied filters in words, for telling a visitor what to loosen when nothing matches."""
        return [words for words, _params in self.applied()]

    def chips(self, query) -> list[tuple[str, str]]:
        """(words, URL without it) for each applied filter: the catalog's removable chips. `query` is request.GET;
        removing a filter starts the list again from its first page."""
        chips = []
        for words, params in self.applied():
            rest = query.copy()
            for key in (*params, "cursor", "page"):
                rest.pop(key, None)
            chips.append((words, f"?{rest.urlencode()}" if rest else "?"))
        return chips
