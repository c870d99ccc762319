from django.core.paginator import Paginator
from django.db.models import Case, Q, Value, When
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from marketplace.core.htmx import render_page
from marketplace.core.pagecache import anonymous_cache_page
from marketplace.core.pagination import cursor_page
from marketplace.core.types import HtmxHttpRequest
from marketplace.styles.filters import Sort, StyleFilter, TagSuggestForm, artists_with_live_styles
from marketplace.styles.models import Style, Tag
from marketplace.styles.tables import StyleTable
from marketplace.styles.tags import MAX_TAG_LENGTH, normalise_tag, parse_tags

PAGE_SIZE = 20
SAMPLE_IMAGES = 4
TAGS_PER_PAGE = 100
MAX_SUGGESTIONS = 10
MAX_TYPED_NAME = 150  # the longest handle


@require_safe
@anonymous_cache_page
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
    table = StyleTable(list(page), sort=filterset.applied_sort, query=request.GET) if view == "table" else None
    chips = filterset.chips(request.GET) if filterset.is_valid() else []
    context = {"filterset": filterset, "page": page, "by_cursor": by_cursor, "view": view, "table": table,
               "chips": chips}
    return render_page(request, "styles/catalog.html", context, fragment="style-list")


@require_safe
@anonymous_cache_page
def detail(request: HtmxHttpRequest, slug: str):
    style = get_object_or_404(
        Style.objects.visible_to(request.user).select_related("artist").prefetch_related("tags"), slug=slug
    )
    samples = style.training_images.order_by("position", "id")[:SAMPLE_IMAGES]
    # The prices and the generate form come from the generations app's template tags (detail.html).
    return render(request, "styles/detail.html", {"style": style, "samples": samples})


@require_safe
def tags(request: HtmxHttpRequest):
    in_use = Tag.objects.in_use().order_by("-style_count", "name")
    page = Paginator(in_use, TAGS_PER_PAGE).get_page(request.GET.get("page"))
    return render_page(request, "styles/tags.html", {"page": page}, fragment="tag-list")


@require_safe
def tag_suggest(request: HtmxHttpRequest):
    """Completes the last term of a comma-separated tag list; see TAG_SUGGEST_ATTRS for the wiring."""
    *typed, term = TagSuggestForm(request.GET).typed().split(",")
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


@require_safe
def artist_suggest(request: HtmxHttpRequest):
    """Artists with live styles whose handle or name holds the typed text, those starting with it first: the
    catalog's artist input (filters.ARTIST_SUGGEST_ATTRS) gets <option>s, a visitor without JavaScript links."""
    typed = TagSuggestForm(request.GET).typed().strip()[:MAX_TYPED_NAME]
    artists = []
    if typed:
        starts = Q(username__istartswith=typed) | Q(display_name__istartswith=typed)
        artists = (
            artists_with_live_styles()
            .filter(Q(username__icontains=typed) | Q(display_name__icontains=typed))
            .order_by(Case(When(starts, then=Value(0)), default=Value(1)), "display_name", "username")
            .only("username", "display_name")[:MAX_SUGGESTIONS]
        )
    context = {"typed": typed, "artists": artists}
    return render_page(request, "styles/artist_suggest.html", context, fragment="artist-suggestions")
