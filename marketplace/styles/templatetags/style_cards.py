"""What components/style_card.html prints for every card, without template machinery per card.

URLs come from a pattern reversed once per URLconf and script prefix, with the card's slug or handle quoted the
way reverse() quotes it; the price and the image's alt text come from gettext/ngettext with the very messages a
{% blocktranslate %} would look up, so translations keep working.
"""

from functools import lru_cache
from urllib.parse import quote

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import formats
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import gettext, ngettext

register = template.Library()

SLOT = "__slot__"  # matches both the slug and the str path converter
INT_SLOT = 918_273_645  # what the int converter takes; no real id is printed next to it in a URL pattern
URL_SAFE = RFC3986_SUBDELIMS + "/~:@"  # what reverse() leaves unquoted


@lru_cache(maxsize=64)
def _pattern(name: str, kwarg: str, slot: str | int, script_prefix: str, urlconf: str) -> str:
    # The prefix and URLconf are only part of the key: reverse() reads them itself.
    return reverse(name, kwargs={kwarg: slot}) if kwarg else reverse(name)


def card_url(name: str, kwarg: str = "", value: str | int = "") -> str:
    """reverse(name, kwargs={kwarg: value}) for one str/slug or int argument, the pattern reversed only once."""
    slot = INT_SLOT if isinstance(value, int) else SLOT
    pattern = _pattern(name, kwarg, slot, get_script_prefix(), str(get_urlconf() or settings.ROOT_URLCONF))
    if not kwarg:
        return pattern
    return pattern.replace(str(slot), str(value) if slot is INT_SLOT else quote(value, safe=URL_SAFE))


@register.filter
def style_url(style) -> str:
    """style.get_absolute_url(), without a reverse() per card."""
    return card_url("styles:detail", "slug", style.slug)


@register.filter
def artist_url(user) -> str:
    """user.get_absolute_url() (the artist's page), without a reverse() per card."""
    return card_url("community:artist", "username", user.username)


@register.filter
def tag_url(tag) -> str:
    """The catalog filtered by this tag."""
    return f"{card_url('styles:catalog')}?tags={quote(tag.name, safe='/')}"


@register.filter
def price_tokens(price: int) -> str:
    """"8 tokens": what a card shows of the price per image (the card says "per image" to screen readers)."""
    return ngettext("%(price)s token", "%(price)s tokens", price) % {"price": formats.localize(price)}


@register.filter
def cover_alt(style) -> str:
    return gettext("A training image of the %(name)s style") % {"name": style.name}


@register.filter
def no_cover_label(style) -> str:
    return gettext("%(name)s has no sample image") % {"name": style.name}
