from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace.community import feed as feed_selectors
from marketplace.community.models import Follow, Like
from marketplace.community.tests.rows import add_comment, add_like
from marketplace.core.testing import public_image
from marketplace.generations.models import Generation, GenerationTag
from marketplace.styles.models import Tag

FEED = reverse("community:feed")
HTMX = {"HX-Request": "true"}
TABS = ("latest", "following", "top")


def shown(response):
    return [generation.prompt for generation in response.context["page"]]


def tag(image, *names):
    for name in names:
        GenerationTag.objects.create(generation=image, tag=Tag.objects.get_or_create(name=name)[0])
    return image


def dated(image, **ago):
    Generation.objects.filter(pk=image.pk).update(created_at=timezone.now() - timedelta(**ago))
    return image


def like(image, *people, days_ago=0):
    for person in people:
        made = add_like(user=person, generation=image)
        if days_ago:
            Like.objects.filter(pk=made.pk).update(created_at=timezone.now() - timedelta(days=days_ago))


@pytest.fixture
def follower(make_user):
    return make_user(username="noor", display_name="Noor")


# --- What the feed shows ------------------------------------------------------------------------------------


def test_feed_shows_public_completed_images_and_nothing_hidden_private_or_failed(client, make_generation, make_style):
    public_image(make_generation, prompt="shared heron")
    public_image(make_generation, prompt="private owl", visibility=Generation.Visibility.PRIVATE)
    public_image(make_generation, prompt="failed fox", status=Generation.Status.FAILED, image="")
    public_image(make_generation, prompt="queued quail", status=Generation.Status.QUEUED, image="")
    public_image(make_generation, prompt="hidden hare", hidden_at=timezone.now())
    public_image(make_generation, prompt="deleted deer", deleted_at=timezone.now())
    hidden_style = make_style(name="Hidden Style", hidden_at=timezone.now())
    public_image(make_generation, prompt="moderated mole", style=hidden_style)
    withdrawn = make_style(name="Withdrawn", deleted_at=timezone.now())
    public_image(make_generation, prompt="orphaned otter", style=withdrawn)

    response = client.get(FEED)

    html = response.content.decode()
    assert response.status_code == 200
    assert shown(response) == ["shared heron"]
    for absent in ("private owl", "failed fox", "queued quail", "hidden hare", "deleted deer", "moderated mole",
                   "orphaned otter"):
        assert absent not in html


def test_hidden_image_is_absent_from_every_tab(client, make_generation, make_user, follower, user):
    hidden = public_image(make_generation, prompt="hidden hare", hidden_at=timezone.now())
    like(hidden, make_user())
    Follow.objects.create(follower=follower, following=user)
    client.force_login(follower)

    for tab in TABS:
        assert "hidden hare" not in client.get(FEED, {"tab": tab}).content.decode(), tab


def test_card_names_maker_style_and_its_artist_with_like_button_and_comment_link(
    client, make_generation, make_user, user, artist, style
):
    image = public_image(make_generation, prompt="shared heron", aspect_ratio="1:2")
    fans = [make_user(), make_user()]
    like(image, *fans)
    add_comment(user=fans[0], generation=image, body="Lovely")

    html = client.get(FEED).content.decode()

    assert "made by" in html
    assert f'href="{user.get_absolute_url()}" data-testid="card-maker">Ada</a>' in html
    assert f'href="{style.get_absolute_url()}" data-testid="card-style">Ink Wash</a>' in html
    assert f'href="{artist.get_absolute_url()}" data-testid="card-style-artist">Mira Okafor</a>' in html
    assert 'data-testid="like-count">2</span>' in html
    assert f'href="{image.get_absolute_url()}#comments" data-testid="card-comments">1 comment</a>' in html
    assert 'src="/media/generations/out.png"' in html and 'width="512" height="1024"' in html


def test_signed_in_card_has_a_like_toggle_showing_whether_you_like_it(client, make_generation, follower):
    liked = public_image(make_generation, prompt="liked one")
    public_image(make_generation, prompt="other one")
    like(liked, follower)
    client.force_login(follower)

    html = client.get(FEED).content.decode()

    assert f'hx-post="{reverse("community:like", args=[liked.pk])}"' in html
    assert html.count('aria-pressed="true"') == 1 and html.count('aria-pressed="false"') == 1


def test_card_without_for_cards_shows_the_counters_but_no_toggle(rf, make_generation, make_user, user):
    from django.template.loader import render_to_string

    image = public_image(make_generation)
    like(image, make_user())
    request = rf.get("/")
    request.user = user

    html = render_to_string(
        "components/generation_card.html", {"generation": Generation.objects.get(pk=image.pk)}, request=request
    )

    # Without `liked` the card cannot say whether you like it, so it shows the count, not a toggle.
    assert "like-button" not in html and "1 like" in html and "0 comments" in html
    assert "made by" in html and "Ink Wash" in html


def test_card_from_counts_without_liked_shows_the_count_not_a_wrong_toggle(rf, make_generation, user):
    from django.template.loader import render_to_string

    image = public_image(make_generation)
    like(image, user)
    request = rf.get("/")
    request.user = user

    html = render_to_string(
        "components/generation_card.html", {"generation": Generation.objects.for_cards().get(pk=image.pk)},
        request=request,
    )

    assert "like-button" not in html and "1 like" in html


# --- Pages and fragments -------------------------------------------------------------------------------------


def test_feed_page_has_tabs_the_tag_filter_and_infinite_scroll(client, make_generation):
    for n in range(21):
        public_image(make_generation, prompt=f"image {n}")

    html = client.get(FEED).content.decode()

    assert "<html" in html and '<section id="feed"' in html
    assert 'hx-target="#feed"' in html and 'hx-push-url="true"' in html
    assert 'href="?tab=top"' in html and 'aria-current="page"' in html
    for name in ("tags", "tags_any", "tags_not"):
        assert f'name="{name}"' in html
    assert html.count('hx-trigger="revealed"') == 1
    assert 'data-testid="feed-more"' in html and "?cursor=" in html


@pytest.mark.parametrize("tab", TABS)
def test_each_tab_as_a_page_and_as_an_htmx_fragment(client, make_generation, follower, user, tab):
    image = public_image(make_generation, prompt="a heron")
    like(image, follower)
    Follow.objects.create(follower=follower, following=user)
    client.force_login(follower)

    page = client.get(FEED, {"tab": tab})
    fragment = client.get(FEED, {"tab": tab}, headers=HTMX)

    assert "<html" in page.content.decode() and "a heron" in page.content.decode()
    html = fragment.content.decode()
    assert "<html" not in html and html.strip().startswith('<section id="feed"')
    assert "a heron" in html and f'data-testid="tab-{tab}" aria-current="page"' in html
    assert "HX-Request" in fragment["Vary"]


def test_cursor_pages_do_not_overlap_and_end(client, make_generation):
    for n in range(45):
        dated(public_image(make_generation, prompt=f"image {n:02d}"), minutes=45 - n)

    first = client.get(FEED)
    second = client.get(FEED, {"cursor": first.context["page"].next_cursor})
    third = client.get(FEED, {"cursor": second.context["page"].next_cursor})

    assert shown(first) == [f"image {n:02d}" for n in range(44, 24, -1)]
    assert shown(second) == [f"image {n:02d}" for n in range(24, 4, -1)]
    assert shown(third) == [f"image {n:02d}" for n in range(4, -1, -1)]
    assert third.context["page"].next_cursor is None
    assert 'data-testid="feed-more"' not in third.content.decode()
    assert 'hx-trigger="revealed"' not in third.content.decode()


def test_next_page_fragment_holds_only_the_cards_and_the_next_more_link(client, make_generation):
    for n in range(45):
        public_image(make_generation, prompt=f"image {n:02d}")
    cursor = client.get(FEED).context["page"].next_cursor

    response = client.get(FEED, {"cursor": cursor}, headers=HTMX)

    html = response.content.decode()
    assert html.strip().startswith('<article class="generation-card"')
    assert '<section id="feed"' not in html and "feed-tabs" not in html
    assert html.count('class="generation-card"') == 20
    assert html.count('hx-trigger="revealed"') == 1 and html.count('data-testid="feed-more"') == 1


def test_a_cursor_that_does_not_decode_is_the_first_page(client, make_generation):
    public_image(make_generation, prompt="first")

    assert shown(client.get(FEED, {"cursor": "not-a-cursor"})) == ["first"]
    assert shown(client.get(FEED, {"tab": "top", "cursor": "%%%"})) == []
    assert shown(client.get(FEED, {"tab": "nonsense"})) == ["first"]


def test_images_made_at_the_same_instant_page_by_id_without_overlap(client, make_generation):
    images = [public_image(make_generation, prompt=f"image {n:02d}") for n in range(25)]
    Generation.objects.filter(pk__in=[image.pk for image in images]).update(created_at=timezone.now())

    first = client.get(FEED)
    second = client.get(FEED, {"cursor": first.context["page"].next_cursor})

    assert shown(first) + shown(second) == [f"image {n:02d}" for n in range(24, -1, -1)]
    assert second.context["page"].next_cursor is None


@pytest.mark.parametrize(
    "raw", ["2026-01-01T00:00:00+00:00|99999999999999999999999", "2026-01-01T00:00:00+00:00|-5",
            "2026-01-01T00:00:00|7", "9999-12-31T23:59:59+00:00|0", "|", "2026-01-01T00:00:00+00:00|1|2",
            "99999999999999999999|2026-01-01T00:00:00+00:00|99999999999999999999"],
)
def test_a_forged_cursor_is_the_first_page_not_an_error(client, make_generation, raw):
    import base64

    public_image(make_generation, prompt="first")
    cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    for tab in ("latest", "top"):
        response = client.get(FEED, {"tab": tab, "cursor": cursor})
        assert response.status_code == 200
    assert shown(client.get(FEED, {"cursor": cursor})) == ["first"]


# --- Tags ----------------------------------------------------------------------------------------------------


@pytest.fixture
def tagged(make_generation):
    tag(public_image(make_generation, prompt="fox snow"), "fox", "snow")
    tag(public_image(make_generation, prompt="fox only"), "fox")
    tag(public_image(make_generation, prompt="snow only"), "snow")
    tag(public_image(make_generation, prompt="owl"), "owl")


def test_tags_must_all_match(client, tagged):
    assert shown(client.get(FEED, {"tags": "Fox, snow"})) == ["fox snow"]


def test_any_tag_may_match(client, tagged):
    assert sorted(shown(client.get(FEED, {"tags_any": "fox,owl"}))) == ["fox only", "fox snow", "owl"]


def test_none_of_the_tags_may_match(client, tagged):
    assert sorted(shown(client.get(FEED, {"tags_not": "fox"}))) == ["owl", "snow only"]


def test_tag_filters_combine_and_survive_in_the_tab_and_more_links(client, make_generation, tagged):
    for n in range(21):
        tag(public_image(make_generation, prompt=f"fox {n}"), "fox")

    response = client.get(FEED, {"tags": "fox", "tags_not": "snow"})

    html = response.content.decode()
    assert "fox snow" not in shown(response) and len(shown(response)) == 20
    assert 'href="?tags=fox&amp;tags_not=snow&amp;tab=top"' in html
    assert "?tags=fox&amp;tags_not=snow&amp;cursor=" in html


def test_no_match_says_so_and_offers_to_clear(client, tagged):
    html = client.get(FEED, {"tags": "unicorn"}).content.decode()

    assert "No image matches these tags." in html and "Clear the tags" in html


# --- Following -----------------------------------------------------------------------------------------------


def test_following_shows_followed_people_and_styles_of_followed_artists_only(
    client, make_generation, make_user, make_style, follower, user, artist
):
    stranger = make_user(username="stranger")
    other_artist = make_user(username="other-artist")
    others_style = make_style(name="Someone Else's", artist=other_artist)
    Follow.objects.create(follower=follower, following=user)
    Follow.objects.create(follower=follower, following=artist)
    public_image(make_generation, prompt="by followed person", style=others_style)
    public_image(make_generation, prompt="in followed artist's style", user=stranger)
    public_image(make_generation, prompt="stranger elsewhere", user=stranger, style=others_style)
    public_image(make_generation, prompt="followed but private", visibility=Generation.Visibility.PRIVATE)
    public_image(make_generation, prompt="my own", user=follower, style=others_style)
    client.force_login(follower)

    response = client.get(FEED, {"tab": "following"})

    assert sorted(shown(response)) == ["by followed person", "in followed artist's style"]


def test_following_tab_for_visitors_links_to_login(client, db):
    html = client.get(FEED).content.decode()
    login = reverse("account_login")

    assert f'href="{login}?next=/feed/%3Ftab%3Dfollowing" data-testid="tab-following"' in html
    response = client.get(FEED, {"tab": "following"})
    assert response.status_code == 302 and response["Location"].startswith(login)
    fragment = client.get(FEED, {"tab": "following"}, headers=HTMX)
    assert fragment["HX-Redirect"] == f"{login}?next=/feed/%3Ftab%3Dfollowing"


def test_following_empty_state_suggests_artists_to_follow(client, make_user, make_style, follower, artist):
    popular = make_user(username="popular", display_name="Popular Painter")
    make_style(name="Popular Style", artist=popular)
    make_style(name="Mira's Style", artist=artist)
    Follow.objects.create(follower=make_user(), following=popular)
    make_user(username="no-styles", display_name="Nobody Special")
    client.force_login(follower)

    response = client.get(FEED, {"tab": "following"})
    fragment = client.get(FEED, {"tab": "following"}, headers=HTMX)

    for html in (response.content.decode(), fragment.content.decode()):
        assert "Artists you might follow" in html
        assert html.index("Popular Painter") < html.index("Mira Okafor")
        assert "Nobody Special" not in html
        assert f'hx-post="{reverse("community:follow", args=[popular.pk])}"' in html
        assert "1 follower" in html


def test_suggestions_leave_out_artists_you_follow_and_yourself(make_user, make_style, artist):
    other = make_user(username="other", display_name="Other Artist")
    make_style(name="Other Style", artist=other)
    make_style(name="Mira's", artist=artist)
    Follow.objects.create(follower=other, following=artist)

    assert feed_selectors.artists_to_follow(viewer=other) == []
    assert [person.username for person in feed_selectors.artists_to_follow(viewer=artist)] == ["other"]


# --- Top this week -------------------------------------------------------------------------------------------


def test_top_this_week_orders_by_likes_in_the_last_seven_days_ties_newest_first(client, make_generation, make_user):
    fans = [make_user() for _ in range(4)]
    old_favourite = dated(public_image(make_generation, prompt="old favourite"), days=30)
    like(old_favourite, *fans[1:], days_ago=8)
    like(old_favourite, fans[0])
    two = dated(public_image(make_generation, prompt="two likes"), hours=5)
    like(two, fans[0], fans[1])
    tie_older = dated(public_image(make_generation, prompt="tie older"), hours=3)
    like(tie_older, fans[2], fans[3], fans[1])
    tie_newer = dated(public_image(make_generation, prompt="tie newer"), hours=1)
    like(tie_newer, fans[0], fans[2], fans[3])
    dated(public_image(make_generation, prompt="never liked"), minutes=1)

    response = client.get(FEED, {"tab": "top"})

    assert shown(response) == ["tie newer", "tie older", "two likes", "old favourite"]


def test_top_this_week_pages_by_cursor_without_overlap(client, make_generation, make_user, monkeypatch):
    monkeypatch.setattr(feed_selectors, "PER_PAGE", 3)
    fans = [make_user() for _ in range(4)]
    for n in range(7):
        like(dated(public_image(make_generation, prompt=f"image {n}"), minutes=10 - n), *fans[: n % 4 + 1])

    seen, cursor = [], None
    for _ in range(4):
        response = client.get(FEED, {"tab": "top", **({"cursor": cursor} if cursor else {})})
        seen += shown(response)
        cursor = response.context["page"].next_cursor
        if not cursor:
            break

    assert seen == ["image 3", "image 6", "image 2", "image 5", "image 1", "image 4", "image 0"]
    assert cursor is None


def test_top_this_week_empty_state(client, make_generation, make_user):
    like(public_image(make_generation, prompt="last month"), make_user(), days_ago=9)

    html = client.get(FEED, {"tab": "top"}).content.decode()

    assert "Nobody has liked an image this week yet." in html and "last month" not in html


# --- Query counts --------------------------------------------------------------------------------------------


def _seed(count, *, make_generation, make_style, make_user, viewer):
    fan = make_user()
    for n in range(count):
        maker = make_user()
        style_artist = make_user()
        style = make_style(artist=style_artist, tags=[f"t{n}"])
        image = tag(public_image(make_generation, user=maker, style=style, prompt=f"image {n}"), "fox")
        like(image, fan, viewer)
        add_comment(user=fan, generation=image, body="Nice")
        Follow.objects.get_or_create(follower=viewer, following=maker)


# Visitors asking for Following are sent to log in: no feed to count.
@pytest.mark.parametrize(
    ("tab", "signed_in"),
    [("latest", False), ("top", False), ("latest", True), ("following", True), ("top", True)],
)
def test_query_count_is_the_same_for_5_and_50_cards(
    client, make_generation, make_style, make_user, follower, monkeypatch, django_assert_max_num_queries,
    tab, signed_in,
):
    monkeypatch.setattr(feed_selectors, "PER_PAGE", 50)
    if signed_in:
        client.force_login(follower)
    counts = []
    seeded = 0
    for size in (5, 50):
        _seed(size - seeded, make_generation=make_generation, make_style=make_style, make_user=make_user,
              viewer=follower)
        seeded = size
        with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(4 if signed_in else 1):
            response = client.get(FEED, {"tab": tab, "tags_any": "fox"})
        assert len(response.context["page"]) == size
        assert response.content.decode().count('class="generation-card"') == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("signed_in", [False, True])
def test_latest_reads_the_counters_and_pages_without_offset_or_count(
    client, make_generation, make_style, make_user, follower, signed_in
):
    _seed(25, make_generation=make_generation, make_style=make_style, make_user=make_user, viewer=follower)
    if signed_in:
        client.force_login(follower)
    first = client.get(FEED)
    with CaptureQueriesContext(connection) as queries:
        second = client.get(FEED, {"cursor": first.context["page"].next_cursor}, headers={"HX-Request": "true"})

    [cards] = [q["sql"] for q in queries.captured_queries if "generations_generation" in q["sql"]]
    assert "OFFSET" not in cards and "COUNT(" not in cards.upper()
    assert "community_comment" not in cards
    # A visitor's cards touch no like row; a member's only their own (the `liked` flag).
    assert ("community_like" in cards) == signed_in
    assert len(second.context["page"]) == 5
    assert second.content.decode().count('data-testid="like-count">2<') == 5  # fan and viewer liked each
    assert second.content.decode().count("1 comment<") == 5


def test_card_credits_the_style_its_artist_and_the_maker_a_line_each(rf, make_generation, make_user, user):
    import re

    from django.template.loader import render_to_string
    from django.utils.html import strip_tags

    image = public_image(make_generation, user=make_user(display_name="Kenji Arai"))
    request = rf.get("/")
    request.user = user

    html = render_to_string(
        "components/generation_card.html", {"generation": Generation.objects.get(pk=image.pk)}, request=request
    )

    credits = re.search(r'<p class="card-credits">(.*?)</p>', html, re.S).group(1)
    lines = [" ".join(strip_tags(span).split()) for span in re.findall(r"<span[^>]*>(.*?)</span>", credits, re.S)]
    assert lines == [image.style.name, f"style by {image.style.artist.public_name}", "made by Kenji Arai"]
