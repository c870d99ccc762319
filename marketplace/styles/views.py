from django.core.paginator import Paginator
from django.db.models import Case, Count, Value, When
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from marketplace.core.types import HtmxHttpRequest
from marketplace.generations.models import Generation
from marketplace.generations.pricing import ASPECT_RATIO_MULTIPLIER, generation_cost
from marketplace.generations.views import generate_context
from marketplace.styles.filters import Sort, StyleFilter
from marketplace.styles.models import Style, Tag
from marketplace.styles.pagination import cursor_page
from marketplace.styles.tables import StyleTable
from marketplace.styles.tags import MAX_TAG_LENGTH, normalise_tag, parse_tags

PAGE_SIZE = 20
SAMPLE_IMAGES = 4
TAGS_PER_PAGE = 100
MAX_SUGGESTIONS = 10


def render_page_or_fragment(request: HtmxHttpRequest, template: str, fragment: str, context: dict):
    """The whole page, or only `fragment` for an htmx swap; a history restore needs the whole page."""
    partial = request.htmx and not request.htmx.history_restore_request
    response = render(request, f"{template}#{fragment}" if partial else template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def catalog(request: HtmxHttpRequest):
    filterset = StyleFilter(request.GET, queryset=Style.objects.live().for_cards(), request=request)
    # A filter that cannot be read matches nothing, rather than being dropped and listing too much.
    styles = filterset.qs if filterset.is_valid() else Style.objects.none()
    by_cursor = filterset.applied_sort == Sort.NEWEST
    if by_cursor:
        page = cursor_page(styles, request.GET.get("cursor"), per_page=PAGE_SIZE)
    else:
        page = Paginator(styles, PAGE_SIZE).get_page(request.GET.get("page"))
    view = "table" if request.GET.get("view") == "table" else "grid"
    table = StyleTable(list(page), with_popularity=filterset.applied_sort == Sort.POPULAR) if view == "table" else None
    context = {"filterset": filterset, "page": page, "by_cursor": by_cursor, "view": view, "table": table}
    return render_page_or_fragment(request, "styles/catalog.html", "style-list", context)


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
    if style.is_live and style.model_path:
        context.update(generate_context(request.user, style))
    return render(request, "styles/detail.html", context)


@require_GET
def tags(request: HtmxHttpRequest):
    in_use = Tag.objects.in_use().order_by("-style_count", "name")
    page = Paginator(in_use, TAGS_PER_PAGE).get_page(request.GET.get("page"))
    return render_page_or_fragment(request, "styles/tags.html", "tag-list", {"page": page})


@require_GET
def tag_suggest(request: HtmxHttpRequest):
    """Completes the last term of a comma-separated tag list; see TAG_SUGGEST_ATTRS for the wiring."""
    *typed, term = request.GET.get("q", "").split(",")
    term = normalise_tag(term)[:MAX_TAG_LENGTH]
    earlier = parse_tags(",".join(typed))
    names = []
    if term:
        starts_first = Case(When(name__startswith=term, then=Value(0)), default=Value(1))
        names = (
            Tag.objects.in_use()
            .filter(name__contains=term)
            .exclude(name__in=earlier)
            .order_by(starts_first, "-style_count", "name")
            .values_list("name", flat=True)[:MAX_SUGGESTIONS]
        )
    prefix = "".join(f"{name}, " for name in earlier)
    suggestions = [(f"{prefix}{name}", name) for name in names]
    return render(request, "styles/tags.html#tag-suggestions", {"suggestions": suggestions})
