"""Like and follow toggles (HTMX swaps the button; a plain form post goes back where it came from)
and the list of people you follow."""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from marketplace.community.models import Follow
from marketplace.community.services import follow_toggle, like_toggle
from marketplace.core.exceptions import ServiceError
from marketplace.core.pagination import cursor_page
from marketplace.core.ratelimit import rate_limit
from marketplace.core.types import HtmxHttpRequest
from marketplace.generations.models import Generation

FOLLOWING_PER_PAGE = 24


def _back(request: HtmxHttpRequest, fallback: str):
    target = request.POST.get("next", "")
    ok = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    if ok and target.startswith("/"):  # only a path: redirect() would take "0" for a view name
        return redirect(target)
    return redirect(fallback)


def _wanted(request: HtmxHttpRequest, field: str) -> bool | None:
    """The state the button asked for ("1" / "0"); None (flip) when a form sent neither."""
    return {"1": True, "0": False}.get(request.POST.get(field, ""))


@login_required
@require_POST
@rate_limit("social")
def like(request: HtmxHttpRequest, pk: int):
    try:
        liked, count = like_toggle(user=request.user, generation_id=pk, like=_wanted(request, "like"))
    except Generation.DoesNotExist:
        raise Http404 from None
    if request.htmx:
        # The button needs only these three facts; no second read of the image.
        generation = Generation(pk=pk)
        generation.liked, generation.like_count = liked, count
        return render(request, "components/like_button.html", {"generation": generation})
    return _back(request, Generation(pk=pk).get_absolute_url())


@login_required
@require_POST
@rate_limit("social")
def follow(request: HtmxHttpRequest, pk: int):
    people = get_user_model().objects.filter(is_active=True)
    try:
        following, count = follow_toggle(follower=request.user, following_id=pk, follow=_wanted(request, "follow"))
    except get_user_model().DoesNotExist:
        raise Http404 from None
    except ServiceError as exc:
        return HttpResponseBadRequest(exc.message)
    artist = people.get(pk=pk)
    if request.htmx:
        artist.is_followed, artist.follower_count = following, count
        return render(request, "components/follow_button.html", {"person": artist})
    return _back(request, artist.get_absolute_url())


@login_required
@require_safe
def following(request: HtmxHttpRequest):
    """Who you follow, most recently followed first, each with their follower count.

    The Follow rows are paged by keyset on (created_at, id), so "load more" costs the same however many
    people you follow; each person comes along by a join, their follower count by a subquery."""
    counted = Follow.objects.filter(following=OuterRef("following_id")).order_by().values("following")
    follows = (
        Follow.objects.filter(follower=request.user, following__is_active=True).select_related("following")
        .annotate(follower_count=Coalesce(Subquery(counted.annotate(n=Count("pk")).values("n")), 0))
    )
    page = cursor_page(follows, request.GET.get("cursor"), per_page=FOLLOWING_PER_PAGE)
    people = []
    for follow in page:
        person = follow.following
        person.is_followed, person.follower_count = True, follow.follower_count
        people.append(person)
    return render(request, "community/following.html", {"page_obj": page, "people": people})
