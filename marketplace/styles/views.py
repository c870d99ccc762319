from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from marketplace.core.types import HtmxHttpRequest
from marketplace.generations.models import Generation
from marketplace.generations.pricing import ASPECT_RATIO_MULTIPLIER, generation_cost
from marketplace.styles.models import Style
from marketplace.styles.tags import parse_tags

PAGE_SIZE = 20
SAMPLE_IMAGES = 4


@require_GET
def catalog(request: HtmxHttpRequest):
    tags = parse_tags(request.GET.get("tags", ""))
    styles = Style.objects.live()
    for name in tags:
        # One join per tag means "has all of them"; (style, tag) is unique, so no duplicates to remove.
        styles = styles.filter(tags__name=name)
    page_obj = Paginator(styles.for_cards().order_by("-created_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    fragment = request.htmx and not request.htmx.history_restore_request
    template = "styles/catalog.html#style-list" if fragment else "styles/catalog.html"
    response = render(request, template, {"page_obj": page_obj, "tags": tags})
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def detail(request: HtmxHttpRequest, slug: str):
    style = get_object_or_404(
        Style.objects.visible_to(request.user).select_related("artist").prefetch_related("tags"), slug=slug
    )
    samples = style.training_images.order_by("position", "id")[:SAMPLE_IMAGES]
    stats = style.generations.filter(status=Generation.Status.COMPLETED).aggregate(
        generations=Count("pk", distinct=True), likes=Count("likes")
    )
    prices = [
        (ratio.label, generation_cost(price_per_generation=style.price_per_generation, aspect_ratio=ratio))
        for ratio in ASPECT_RATIO_MULTIPLIER
    ]
    context = {"style": style, "samples": samples, "stats": stats, "prices": prices}
    return render(request, "styles/detail.html", context)
