from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from marketplace.community.selectors import with_follow_counts
from marketplace.core.pagecache import anonymous_cache_page
from marketplace.core.pagination import cursor_page
from marketplace.core.params import parse_id
from marketplace.core.types import HtmxHttpRequest
from marketplace.generations.models import Generation
from marketplace.styles.models import Style

ARTIST_IMAGES_PER_PAGE = 24
ARTIST_STYLES = 12
HOME_STYLES = 8
HOME_IMAGES = 12


@require_safe
@anonymous_cache_page
def home(request: HtmxHttpRequest):
    featured = Style.objects.live().for_cards().order_by("-trained_at", "-id")[:HOME_STYLES]
    latest = Generation.objects.public().for_cards().order_by("-created_at", "-id")[:HOME_IMAGES]
    return render(request, "community/home.html", {"featured_styles": featured, "latest_images": latest})


@require_safe
@anonymous_cache_page
def artist(request: HtmxHttpRequest, username: str):
    """An artist's public page, by handle; a numeric id redirects to the handle's address."""
    if "\x00" in username:  # no handle holds one, and PostgreSQL refuses it in a query
        raise Http404
    people = get_user_model().objects.filter(is_active=True)
    artist = with_follow_counts(people, viewer=request.user).filter(username=username).first()
    if artist is None:
        if (pk := parse_id(username)) is None:
            raise Http404
        return redirect(get_object_or_404(people, pk=pk))
    styles = list(
        Style.objects.live().filter(artist=artist).for_cards().order_by("-trained_at", "-id")[: ARTIST_STYLES + 1]
    )
    images = Generation.objects.public().filter(user=artist).for_cards(viewer=request.user)
    context = {
        "artist": artist,
        "styles": styles[:ARTIST_STYLES],
        "more_styles": len(styles) > ARTIST_STYLES,
        "images": cursor_page(images, request.GET.get("cursor"), per_page=ARTIST_IMAGES_PER_PAGE),
    }
    return render(request, "community/artist.html", context)
