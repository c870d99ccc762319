"""What components/generation_card.html and its like button print for every card, without a reverse() or a
{% blocktranslate %} per card (the signed-in feed, which no page cache serves, spent most of its time there).

URLs come from styles' once-reversed patterns (style_cards.card_url); the texts from gettext/ngettext with the very
messages the template's {% blocktranslate %} looked up, so translations keep working.
"""

from django import template
from django.utils.translation import gettext, ngettext

from marketplace.styles.templatetags.style_cards import card_url

register = template.Library()


@register.filter
def image_url(generation) -> str:
    """generation.get_absolute_url()."""
    return card_url("community:image", "pk", generation.pk)


@register.filter
def like_url(generation) -> str:
    return card_url("community:like", "pk", generation.pk)


@register.filter
def image_alt(generation) -> str:
    return gettext("%(prompt)s, in the %(style)s style") % {
        "prompt": generation.prompt, "style": generation.style.name,
    }


@register.filter
def likes_label(count: int) -> str:
    """"like"/"likes" after a count shown on its own (the button's visually hidden word)."""
    return ngettext("like", "likes", count)


@register.filter
def like_count_label(count: int) -> str:
    return ngettext("%(count)s like", "%(count)s likes", count) % {"count": count}


@register.filter
def comment_count_label(count: int) -> str:
    return ngettext("%(count)s comment", "%(count)s comments", count) % {"count": count}
