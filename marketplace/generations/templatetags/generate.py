"""What other apps' pages embed of generating: a style's prices and its generate form.

Template tags let the style page (styles app) show them without the styles
app importing this one, which builds on it.
"""

from django import template

from marketplace.generations.forms import generate_context
from marketplace.generations.models import Generation
from marketplace.generations.pricing import generation_cost

register = template.Library()


@register.simple_tag
def style_prices(style) -> list[tuple[str, int]]:
    """(label, tokens) for each aspect ratio, priced here from the style's price."""
    return [
        (label, generation_cost(price_per_generation=style.price_per_generation, aspect_ratio=ratio))
        for ratio, label in Generation.AspectRatio.choices
    ]


@register.simple_tag(takes_context=True)
def style_generate_form(context, style) -> dict | None:
    """The generate form's context for `style`, or None when it cannot be generated with."""
    if not (style.is_live and style.model_path):
        return None
    return generate_context(context["user"], style)


BEST_IMAGES = 6


@register.simple_tag
def style_best_images(style, limit: int = BEST_IMAGES) -> list:
    """The style's most liked public images (newest first among equals): the style page's gallery, one query."""
    images = list(
        Generation.objects.public().filter(style=style)
        .only("pk", "image", "prompt", "like_count", "created_at")
        .order_by("-like_count", "-created_at", "-id")[:limit]
    )
    for image in images:
        image.style = style  # for the cards' image_alt, without a query per image
    return images
