"""What the feed's tabs show: public images chosen by tab and prompt tags, and how each tab pages.

Every selector starts from Generation.objects.public(), so a hidden, private, failed or deleted image
(or one in a hidden or withdrawn style) never reaches a tab, and ends in for_cards(viewer=...), so a
page costs one query however many cards it holds.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, TextChoices
from django.db.models.fields.tuple_lookups import Tuple, TupleLessThan
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.community.models import Follow, Like
from marketplace.core.pagination import CursorPage, decode_cursor, encode_cursor
from marketplace.generations.models import Generation, GenerationTag
from marketplace.styles.filters import TAG_SUGGEST_ATTRS
from marketplace.styles.models import Style
from marketplace.styles.tags import parse_tags

PER_PAGE = 20
TOP_WINDOW = timedelta(days=7)
SUGGESTED_ARTISTS = 4


class Tab(TextChoices):
    LATEST = "latest", _("Latest")
    FOLLOWING = "following", _("Following")
    TOP = "top", _("Top this week")


# --- Prompt tags, with the catalog's meaning (StyleQuerySet.tagged_all / _any / _none) --------------------------


def tagged_all(images: QuerySet, names: list[str]) -> QuerySet:
    """Images carrying every one of `names` (AND)."""
    if not names:
        return images
    having_all = (
        GenerationTag.objects.filter(tag__name__in=names)
        .values("generation")
        .annotate(matched=Count("tag"))
        .filter(matched=len(set(names)))
        .values("generation")
    )
    return images.filter(pk__in=having_all)


def tagged_any(images: QuerySet, names: list[str]) -> QuerySet:
    """Images carrying at least one of `names` (OR)."""
    if not names:
        return images
    return images.filter(Exists(GenerationTag.objects.filter(generation=OuterRef("pk"), tag__name__in=names)))


def tagged_none(images: QuerySet, names: list[str]) -> QuerySet:
    """Images carrying none of `names` (NOT)."""
    if not names:
        return images
    return images.exclude(Exists(GenerationTag.objects.filter(generation=OuterRef("pk"), tag__name__in=names)))


class FeedTagsForm(forms.Form):
    """The tag filter, bound straight from the query string under the catalog's names."""

    tags = forms.CharField(
        label=_("With all of these tags"), required=False,
        widget=forms.TextInput(attrs={**TAG_SUGGEST_ATTRS, "placeholder": _("e.g. fox, snow")}),
    )
    tags_any = forms.CharField(
        label=_("With any of these tags"), required=False, widget=forms.TextInput(attrs=TAG_SUGGEST_ATTRS)
    )
    tags_not = forms.CharField(
        label=_("Without these tags"), required=False, widget=forms.TextInput(attrs=TAG_SUGGEST_ATTRS)
    )

    def filter(self, images: QuerySet) -> QuerySet:
        data = self.cleaned_data if self.is_valid() else {}
        images = tagged_all(images, parse_tags(data.get("tags", "")))
        images = tagged_any(images, parse_tags(data.get("tags_any", "")))
        return tagged_none(images, parse_tags(data.get("tags_not", "")))

    def is_filtering(self) -> bool:
        return self.is_valid() and any(parse_tags(value) for value in self.cleaned_data.values())


# --- The tabs -----------------------------------------------------------------------------------------------------


def feed_latest(*, viewer) -> QuerySet:
    return Generation.objects.public().for_cards(viewer=viewer)


def feed_following(*, viewer) -> QuerySet:
    """Images by people `viewer` follows, and images anyone made in a style whose artist `viewer` follows."""
    followed = Follow.objects.filter(follower=viewer).values("following")
    return (
        Generation.objects.public()
        .filter(Q(user__in=followed) | Q(style__artist__in=followed))
        .for_cards(viewer=viewer)
    )


def week_score(since: datetime):
    """Likes an image received since `since`, as an expression."""
    recent = (
        Like.objects.filter(generation=OuterRef("pk"), created_at__gte=since)
        .order_by().values("generation").annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(recent, output_field=IntegerField()), 0)


def feed_top(*, viewer, now: datetime | None = None) -> QuerySet:
    """Images liked in the last seven days, as `score` (likes in that window). An image nobody liked this
    week is not "top" at all, so it is left out rather than trailing behind in newest order."""
    since = (now or timezone.now()) - TOP_WINDOW
    liked_lately = Like.objects.filter(generation=OuterRef("pk"), created_at__gte=since)
    return (
        Generation.objects.public()
        .filter(Exists(liked_lately))
        .annotate(score=week_score(since))
        .for_cards(viewer=viewer)
    )


# --- Paging -------------------------------------------------------------------------------------------------------
# Latest and Following page by a keyset on (created_at, id) (newest_page, with core.pagination's cursors).
# Top this week pages by a keyset too, on (score, created_at, id), rather than by page numbers: a page is then
# one query with no OFFSET or COUNT, the same cost on page 1 and page 50, and the cursor fits the same `?cursor=`
# links and infinite scroll as the other tabs. A score can change between two pages (someone likes an image
# meanwhile); an image may then appear twice or be passed over once, the same drift page numbers would have,
# and harmless in a feed. Its score is likes in the last seven days, which the all-time like_count counter
# cannot give; it stays a per-request aggregate over that week's likes.


def _encode(*parts) -> str:
    return base64.urlsafe_b64encode("|".join(str(part) for part in parts).encode()).decode().rstrip("=")


def _decode_top(cursor: str) -> tuple[int, datetime, int] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        score, created_at, pk = raw.split("|")
        when = datetime.fromisoformat(created_at)
        return (int(score), when, int(pk)) if when.tzinfo else None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def top_page(images: QuerySet, cursor: str | None, *, per_page: int) -> CursorPage:
    """A page of feed_top(), best first, ties newest first; a cursor that does not decode is the first page."""
    position = _decode_top(cursor) if cursor else None
    if position:
        score, created_at, pk = position
        images = images.filter(
            Q(score__lt=score)
            | Q(score=score, created_at__lt=created_at)
            | Q(score=score, created_at=created_at, pk__lt=pk)
        )
    rows = list(images.order_by("-score", "-created_at", "-id")[: per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    last = rows[-1] if more else None
    next_cursor = _encode(last.score, last.created_at.isoformat(), last.pk) if last else None
    return CursorPage(object_list=rows, next_cursor=next_cursor, is_first=not position)


MAX_ID = 2**63 - 1  # ids are bigints: a bigger number in a cursor could only come from a forged URL


def newest_page(images: QuerySet, cursor: str | None, *, per_page: int) -> CursorPage:
    """A page of Latest or Following, newest first, after `cursor`; one that does not decode is the first page.

    The keyset is a row comparison, (created_at, id) < (cursor), which PostgreSQL answers with an index
    condition on generation_public_feed_idx (created_at DESC, id DESC over public rows only): the page reads
    its 21 rows and stops, on page 1 and page 500 alike, with no sort.
    """
    position = decode_cursor(cursor) if cursor else None
    if position and not 0 < position[1] <= MAX_ID:
        position = None
    if position:
        images = images.filter(TupleLessThan(Tuple(F("created_at"), F("id")), position))
    rows = list(images.order_by("-created_at", "-id")[: per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    return CursorPage(object_list=rows, next_cursor=encode_cursor(rows[-1]) if more else None, is_first=not position)


def feed_page(*, tab: Tab, viewer, tags: FeedTagsForm, cursor: str | None, per_page: int | None = None) -> CursorPage:
    per_page = per_page or PER_PAGE
    if tab == Tab.TOP:
        return top_page(tags.filter(feed_top(viewer=viewer)), cursor, per_page=per_page)
    images = feed_following(viewer=viewer) if tab == Tab.FOLLOWING else feed_latest(viewer=viewer)
    return newest_page(tags.filter(images), cursor, per_page=per_page)


def artists_to_follow(*, viewer, limit: int = SUGGESTED_ARTISTS) -> list:
    """A few artists with live styles whom `viewer` does not follow yet, the most followed first,
    each with follower_count and is_followed for components/follow_button.html."""
    live = Style.objects.live().filter(artist=OuterRef("pk"))
    followers = (
        Follow.objects.filter(following=OuterRef("pk")).order_by().values("following").annotate(n=Count("pk"))
    )
    people = (
        get_user_model().objects.filter(Exists(live), is_active=True)
        .exclude(pk=viewer.pk)
        .exclude(pk__in=Follow.objects.filter(follower=viewer).values("following"))
        .annotate(follower_count=Coalesce(Subquery(followers.values("n")), 0))
        .order_by("-follower_count", "username")[:limit]
    )
    suggested = list(people)
    for person in suggested:
        person.is_followed = False
    return suggested
