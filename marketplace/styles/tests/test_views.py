import base64
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace.community.models import Follow, Like
from marketplace.core.pagination import decode_cursor, encode_cursor
from marketplace.generations.models import Generation
from marketplace.styles.counters import styles_recount
from marketplace.styles.models import Style, TrainingImage

CATALOG = reverse("styles:catalog")
STUDIO = reverse("styles:studio")
HTMX = {"HX-Request": "true"}


def add_cover(style, position=0):
    return TrainingImage.objects.create(
        style=style, image=f"training/{style.slug}-{position}.png", width=640, height=480, position=position
    )


def listed_names(response):
    return [style.name for style in response.context["page"]]


def make_numbered(make_style, count, **fields):
    """`count` live styles named "Style 00".., each a minute newer than the one before."""
    start = timezone.now() - timedelta(days=1)
    for n in range(count):
        style = make_style(name=f"Style {n:02d}", **fields)
        Style.objects.filter(pk=style.pk).update(created_at=start + timedelta(minutes=n))


def next_cursor(response):
    return response.context["page"].next_cursor


def test_catalog_lists_only_live_styles(client, make_style):
    make_style(name="Live Ink")
    make_style(name="Pending Pastel", training_status=Style.Status.PENDING)
    make_style(name="Training Tempera", training_status=Style.Status.TRAINING)
    make_style(name="Failed Fresco", training_status=Style.Status.FAILED)
    make_style(name="Deleted Dye", deleted_at=timezone.now())

    response = client.get(CATALOG)

    assert response.status_code == 200
    assert listed_names(response) == ["Live Ink"]
    html = response.content.decode()
    assert "Live Ink" in html
    for hidden in ("Pending Pastel", "Training Tempera", "Failed Fresco", "Deleted Dye"):
        assert hidden not in html


def test_catalog_card_shows_price_artist_tags_and_cover(client, make_style):
    style = make_style(name="Ink Wash", price_per_generation=7, tags=["ink"])
    add_cover(style, position=1)
    add_cover(style, position=0)

    html = client.get(CATALOG).content.decode()

    assert f'href="{style.get_absolute_url()}"' in html
    assert "Mira Okafor" in html
    assert "7 tokens" in html
    assert f'href="{CATALOG}?tags=ink"' in html
    assert f'src="/media/training/{style.slug}-0.png"' in html and f"{style.slug}-1.png" not in html
    assert 'loading="lazy"' in html and 'width="640" height="480"' in html


def test_catalog_card_without_images_shows_initial_placeholder(client, make_style):
    make_style(name="quiet lines")

    html = client.get(CATALOG).content.decode()

    assert 'class="card-placeholder"' in html
    assert ">Q</div>" in html


def test_catalog_filter_form_works_without_javascript(client, make_style):
    make_style()

    html = client.get(CATALOG, {"tags": "ink", "view": "table"}).content.decode()

    assert f'<form id="catalog-filters" method="get" action="{CATALOG}"' in html
    assert '<button type="submit">Apply filters</button>' in html
    assert 'name="tags" value="ink"' in html
    assert 'id="view-table" name="view" value="table" checked' in html
    assert f'<a href="{CATALOG}" role="button" class="secondary outline">Clear filters</a>' in html
    assert 'hx-get="/styles/" hx-target="#style-list" hx-swap="outerHTML" hx-push-url="true"' in html


def test_catalog_first_page_is_twenty_newest_then_load_more_by_cursor(client, make_style):
    make_numbered(make_style, 25)

    first = client.get(CATALOG)

    assert listed_names(first) == [f"Style {n:02d}" for n in range(24, 4, -1)]
    html = first.content.decode()
    assert html.count('class="style-card"') == 20
    cursor = next_cursor(first)
    assert f'href="?cursor={cursor}"' in html and f'hx-get="?cursor={cursor}"' in html
    assert 'hx-target="#card-grid" hx-swap="beforeend"' in html and 'hx-select-oob="#load-more"' in html
    assert "Back to the newest styles" not in html

    second = client.get(CATALOG, {"cursor": cursor})

    assert listed_names(second) == [f"Style {n:02d}" for n in range(4, -1, -1)]
    assert next_cursor(second) is None
    html = second.content.decode()
    assert "Load more styles" not in html and '<div id="load-more">' in html
    assert "Back to the newest styles" in html


def test_catalog_load_more_fragment_carries_cards_and_the_next_button(client, make_style):
    make_numbered(make_style, 45, tags=["ink"])
    cursor = next_cursor(client.get(CATALOG, {"tags": "ink"}))

    response = client.get(CATALOG, {"tags": "ink", "cursor": cursor}, headers=HTMX)

    html = response.content.decode()
    assert "<html" not in html
    assert html.strip().startswith('<section id="style-list"')
    assert '<div id="card-grid" class="card-grid">' in html and html.count('class="style-card"') == 20
    assert listed_names(response) == [f"Style {n:02d}" for n in range(24, 4, -1)]
    assert f'hx-get="?tags=ink&amp;cursor={next_cursor(response)}"' in html
    assert "HX-Request" in response["Vary"]


def test_catalog_cursor_walks_every_style_once_even_with_equal_timestamps(client, make_style):
    for n in range(45):
        make_style(name=f"Same {n:02d}")
    Style.objects.update(created_at=timezone.now())

    seen, cursor = [], None
    while True:
        response = client.get(CATALOG, {"cursor": cursor} if cursor else {})
        seen += listed_names(response)
        cursor = next_cursor(response)
        if cursor is None:
            break

    assert seen == [f"Same {n:02d}" for n in range(44, -1, -1)]


def test_catalog_deep_cursor_page_is_one_query_without_offset(client, make_style):
    make_numbered(make_style, 110)
    first = client.get(CATALOG)
    cursor = next_cursor(first)
    for _ in range(4):
        cursor = next_cursor(client.get(CATALOG, {"cursor": cursor}))

    with CaptureQueriesContext(connection) as queries:
        deep = client.get(CATALOG, {"cursor": cursor})

    assert listed_names(deep) == [f"Style {n:02d}" for n in range(9, -1, -1)]
    style_queries = [q["sql"] for q in queries if 'FROM "styles_style"' in q["sql"] and "LIMIT 21" in q["sql"]]
    assert len(style_queries) == 1
    assert "OFFSET" not in style_queries[0] and "COUNT(" not in style_queries[0]
    assert not any("COUNT(" in q["sql"] for q in queries)


def test_cursor_round_trips_and_garbage_means_first_page(client, make_style):
    make_numbered(make_style, 21)
    style = Style.objects.get(name="Style 03")

    assert decode_cursor(encode_cursor(style)) == (style.created_at, style.pk)
    past_bigint = base64.urlsafe_b64encode(f"{style.created_at.isoformat()}|{2**63}".encode()).decode()
    for garbage in ("not-a-cursor", "!!!", encode_cursor(style)[:-3] + "xyz", past_bigint):
        assert listed_names(client.get(CATALOG, {"cursor": garbage}))[0] == "Style 20"


def test_catalog_htmx_request_gets_only_the_list_fragment(client, make_style):
    make_numbered(make_style, 21)
    cursor = next_cursor(client.get(CATALOG))

    response = client.get(CATALOG, {"cursor": cursor, "view": "table"}, headers=HTMX)

    html = response.content.decode()
    assert "<html" not in html and 'id="catalog-filters"' not in html
    assert html.strip().startswith('<section id="style-list"')
    assert 'hx-get="?view=table" hx-target="#style-list" hx-swap="outerHTML" hx-push-url="true"' in html
    assert "HX-Request" in response["Vary"]


def test_catalog_history_restore_gets_the_full_page(client, make_style):
    make_style()

    response = client.get(CATALOG, headers={**HTMX, "HX-History-Restore-Request": "true"})

    html = response.content.decode()
    assert "<html" in html and 'id="catalog-filters"' in html


def test_catalog_results_are_never_cached_by_htmx_history(client, make_style):
    make_style()

    html = client.get(CATALOG, headers=HTMX).content.decode()

    # Back/forward then asks the server (a history-restore request) instead of a stale snapshot.
    assert 'hx-history="false"' in html


def test_catalog_sorts_by_price_both_ways_ties_newest_first(client, make_style):
    for name, price in [("Cheap old", 2), ("Dear", 40), ("Cheap new", 2), ("Middle", 9)]:
        make_style(name=name, price_per_generation=price)

    assert listed_names(client.get(CATALOG, {"sort": "price"})) == ["Cheap new", "Cheap old", "Middle", "Dear"]
    assert listed_names(client.get(CATALOG, {"sort": "-price"})) == ["Dear", "Middle", "Cheap new", "Cheap old"]
    assert listed_names(client.get(CATALOG)) == ["Middle", "Cheap new", "Dear", "Cheap old"]


def test_catalog_sorts_by_completed_generations_ties_newest_first(client, make_style, make_generation):
    names = ("Quiet old", "Busy", "Lately", "Old favourite")
    quiet_old, busy, lately, old_favourite = (make_style(name=name) for name in names)
    for seed in range(3):
        make_generation(style=busy, seed=seed, status=Generation.Status.COMPLETED)
    make_generation(style=lately, status=Generation.Status.COMPLETED)
    make_generation(style=quiet_old, status=Generation.Status.FAILED)
    for seed in range(5):
        make_generation(style=old_favourite, seed=seed, status=Generation.Status.COMPLETED)
    Generation.objects.filter(style=old_favourite).update(created_at=timezone.now() - timedelta(days=31))
    styles_recount()  # the rows went in past the services that keep the counters

    response = client.get(CATALOG, {"sort": "popular"})

    # "Ink Wash" is the make_generation fixture's own style, older than the rest and never used.
    assert listed_names(response) == ["Old favourite", "Busy", "Lately", "Quiet old", "Ink Wash"]
    assert 'value="popular" selected' in response.content.decode()


def test_catalog_page_numbers_for_other_sorts_keep_the_filters(client, make_style):
    make_numbered(make_style, 21, tags=["ink"])

    first = client.get(CATALOG, {"tags": "ink", "sort": "price"})
    second = client.get(CATALOG, {"tags": "ink", "sort": "price", "page": 2})

    assert "Page 1 of 2" in first.content.decode()
    assert 'href="?tags=ink&amp;sort=price&amp;page=2"' in first.content.decode()
    assert listed_names(second) == ["Style 00"]


def test_catalog_unknown_sort_or_artist_matches_nothing_and_says_why(client, make_style):
    make_style()

    for params in ({"sort": "cheapest"}, {"artist_id": "999999"}, {"price_min": "lots"}):
        response = client.get(CATALOG, params)
        html = response.content.decode()
        assert listed_names(response) == []
        assert "Some filters could not be read" in html and 'class="field-error"' in html


def test_catalog_table_view_keeps_the_filters_and_the_order(client, make_style, artist):
    make_style(name="Ink Fox", tags=["ink", "fox"], price_per_generation=12, commercial_use=False)
    make_style(name="Ink Owl", tags=["ink", "owl"], price_per_generation=3)
    make_style(name="Oil Owl", tags=["oil", "owl"])

    params = {"tags": "ink", "sort": "price"}
    grid = client.get(CATALOG, params)
    table = client.get(CATALOG, {**params, "view": "table"})

    assert listed_names(grid) == listed_names(table) == ["Ink Owl", "Ink Fox"]
    html = table.content.decode()
    assert html.count('data-testid="style-row"') == 2 and 'class="style-card"' not in html
    assert "Oil Owl" not in html
    assert f'<a href="{artist.get_absolute_url()}">Mira Okafor</a>' in html
    assert "Personal only" in html and "Allowed" in html
    assert f'href="{CATALOG}?tags=fox"' in html
    assert html.count('class="table-cover"') == 2  # the cards' covers, small


def test_catalog_table_headers_sort_by_the_catalogs_own_orders_and_keep_the_filters(client, make_style):
    make_style(name="Dear Ink", tags=["ink"], price_per_generation=12)
    make_style(name="Cheap Ink", tags=["ink"], price_per_generation=3)

    by_price = client.get(CATALOG, {"tags": "ink", "sort": "price", "view": "table", "page": "1"})

    assert listed_names(by_price) == ["Cheap Ink", "Dear Ink"]
    html = by_price.content.decode()
    # The sorted header says so and asks for the other direction; the others ask for their own order. Every
    # link keeps the tags and the view and starts again from the first page.
    sorted_header = r'<th scope="col" class="numeric" aria-sort="ascending">\s*<a href="\?tags=ink&amp;sort=-price'
    assert re.search(sorted_header, html)
    popular = "?tags=ink&amp;sort=popular&amp;view=table"
    assert f'href="{popular}" hx-get="{popular}" hx-target="#style-list"' in html
    assert 'href="?tags=ink&amp;sort=newest&amp;view=table"' in html
    assert html.count("aria-sort=") == 1
    by_price_desc = client.get(CATALOG, {"tags": "ink", "sort": "-price", "view": "table"})
    assert listed_names(by_price_desc) == ["Dear Ink", "Cheap Ink"]
    newest = client.get(CATALOG, {"tags": "ink", "view": "table"}, headers=HTMX).content.decode()
    assert 'aria-sort="descending"' in newest and 'href="?tags=ink&amp;view=table&amp;sort=price"' in newest


def test_catalog_empty_results_name_the_filters_and_offer_to_clear_them(client, make_style):
    make_style(tags=["ink"], price_per_generation=9)

    html = client.get(CATALOG, {"tags": "ink,oil", "price_max": "5", "commercial": "on"}).content.decode()

    assert "No style matches all of these filters:" in html
    assert "<strong>all of: ink, oil</strong>" in html and "<strong>up to 5 tokens</strong>" in html
    assert "<strong>commercial use allowed</strong>" in html
    assert f'<a href="{CATALOG}">clear all filters</a>' in html


def test_catalog_empty_without_filters_says_styles_appear_after_training(client, db):
    assert "No style is live yet" in client.get(CATALOG).content.decode()


def queries_for(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "params",
    [{}, {"view": "table"}, {"tags": "ink", "tags_not": "oil", "artist_id": "ARTIST"}, {"sort": "popular"}],
    ids=["grid", "table", "filtered", "popular"],
)
def test_catalog_query_count_does_not_grow_with_styles(
    client, make_style, make_generation, artist, params, django_assert_max_num_queries
):
    params = {key: str(artist.pk) if value == "ARTIST" else value for key, value in params.items()}

    def seed(count):
        Generation.objects.all().delete()
        Style.objects.all().delete()
        for n in range(count):
            style = make_style(tags=["ink", f"tag{n}", f"other{n}"])
            add_cover(style, 0)
            add_cover(style, 1)
            make_generation(style=style, seed=n, status=Generation.Status.COMPLETED)

    seed(5)
    few = queries_for(client, CATALOG, params)
    seed(50)
    with django_assert_max_num_queries(5):
        assert client.get(CATALOG, params).status_code == 200
    assert queries_for(client, CATALOG, params) == few


def test_detail_query_count_does_not_grow_with_tags_or_images(
    client, make_style, make_generation, django_assert_max_num_queries
):
    def style_with(count):
        style = make_style(tags=[f"tag{n}" for n in range(count)])
        for n in range(count):
            add_cover(style, n)
            make_generation(style=style, seed=n, status=Generation.Status.COMPLETED)
        return style

    few = queries_for(client, style_with(5).get_absolute_url())
    many = style_with(50)
    # The images-made and likes figures are the style's counters: no aggregate over its images and their likes.
    # The style, its training samples, its tags, its gallery (the most liked public images) and its artist's
    # follower count.
    with django_assert_max_num_queries(5):
        assert client.get(many.get_absolute_url()).status_code == 200
    assert queries_for(client, many.get_absolute_url()) == few


def test_detail_shows_prices_licence_tags_and_counts(client, make_style, make_user):
    style = make_style(
        name="Ink Wash", price_per_generation=5, commercial_use=False, credit_required=True, tags=["ink"]
    )
    for position in range(6):
        add_cover(style, position)
    fan = make_user()
    done = Generation.objects.create(
        user=fan, style=style, prompt="fox", aspect_ratio="1:1", seed=1, cost=5, status=Generation.Status.COMPLETED
    )
    Generation.objects.create(user=fan, style=style, prompt="owl", aspect_ratio="1:1", seed=2, cost=5)
    Like.objects.create(user=fan, generation=done)
    Like.objects.create(user=style.artist, generation=done)
    styles_recount()

    response = client.get(style.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert "5 tokens" in html and "10 tokens" in html and "20 tokens" in html
    # The licence in plain words, naming the artist to credit.
    assert "<strong>Personal use only.</strong>" in html and "not to sell or use in paid or client work" in html
    name = style.artist.public_name
    credit = f"<strong>Credit the artist.</strong> When you publish one of these images, name {name} next to it."
    assert credit in html
    assert f'href="{CATALOG}?tags=ink"' in html
    assert "1 image made" in html and "2 likes" in html
    assert html.count("Training image ") == 4
    assert f'href="{style.artist.get_absolute_url()}"' in html
    assert "Not listed" not in html


def test_detail_licence_words_for_permissive_style(client, make_style):
    style = make_style(commercial_use=True, credit_required=False)

    html = client.get(style.get_absolute_url()).content.decode()

    assert "<strong>Commercial use allowed.</strong> You may use the images you make" in html
    assert "<strong>No credit required.</strong>" in html


def test_the_artist_can_be_followed_from_the_style_page(client, make_style, make_user):
    style = make_style()
    fan = make_user()
    Follow.objects.create(follower=make_user(), following=style.artist)

    html = client.get(style.get_absolute_url()).content.decode()
    assert "1 follower" in html and "/accounts/login/?next=" in html  # a visitor signs in to follow

    client.force_login(fan)
    html = client.get(style.get_absolute_url()).content.decode()
    assert f'action="{reverse("community:follow", args=[style.artist.pk])}"' in html
    assert 'aria-pressed="false"' in html
    Follow.objects.create(follower=fan, following=style.artist)
    html = client.get(style.get_absolute_url()).content.decode()
    assert 'aria-pressed="true"' in html and "2 followers" in html

    client.force_login(style.artist)  # nobody follows themselves
    assert 'data-testid="follow-button"' not in client.get(style.get_absolute_url()).content.decode()


UNLISTED = [
    {"training_status": Style.Status.PENDING},
    {"training_status": Style.Status.TRAINING},
    {"training_status": Style.Status.FAILED, "failure_reason": "Too few usable images"},
    {"deleted_at": timezone.now()},
]


@pytest.mark.parametrize("fields", UNLISTED)
def test_unlisted_style_is_404_for_anonymous_and_other_users(client, make_style, make_user, fields):
    style = make_style(**fields)

    assert client.get(style.get_absolute_url()).status_code == 404
    client.force_login(make_user())
    assert client.get(style.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("fields", UNLISTED)
def test_unlisted_style_is_visible_to_owner_and_staff(client, make_style, make_user, artist, fields):
    style = make_style(**fields)

    for viewer in (artist, make_user(is_staff=True)):
        client.force_login(viewer)
        response = client.get(style.get_absolute_url())
        html = response.content.decode()
        assert response.status_code == 200
        assert "Not listed" in html
        if style.deleted_at:
            assert "This style was deleted" in html
        else:
            assert style.get_training_status_display() in html
        if style.failure_reason:
            assert "Too few usable images" in html


def test_studio_requires_login(client):
    response = client.get(STUDIO)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_studio_lists_only_own_undeleted_styles(client, make_style, make_user, artist):
    mine = make_style(name="My Ink", price_per_generation=9)
    make_style(name="My Draft", training_status=Style.Status.PENDING)
    make_style(name="My Deleted", deleted_at=timezone.now())
    make_style(name="Their Style", artist=make_user())
    buyer = make_user()
    statuses = [Generation.Status.COMPLETED, Generation.Status.COMPLETED, Generation.Status.FAILED]
    for seed, status in enumerate(statuses):
        Generation.objects.create(
            user=buyer, style=mine, prompt="fox", aspect_ratio="1:1", seed=seed, cost=9, status=status
        )
    styles_recount()
    client.force_login(artist)

    response = client.get(STUDIO)

    html = response.content.decode()
    assert [s.name for s in response.context["styles"]] == ["My Draft", "My Ink"]
    assert "Their Style" not in html and "My Deleted" not in html
    assert "9 tokens" in html and "Pending" in html
    rows = {s.name: s.generation_count for s in response.context["styles"]}
    assert rows == {"My Ink": 2, "My Draft": 0}
    assert "<td>2</td>" in html


def test_studio_empty_state(client, user):
    client.force_login(user)

    html = client.get(STUDIO).content.decode()

    assert "You have no styles yet" in html


def test_a_catalog_card_is_a_link_as_a_whole_with_artist_and_price_on_one_line(client, style):
    html = client.get(CATALOG).content.decode()
    card = html[html.index('<article class="style-card">'):html.index("</article>")]
    url = style.get_absolute_url()
    # The picture opens the style too (a second link kept out of the tab order), then the title.
    assert re.search(rf'<a href="{url}" class="card-image" tabindex="-1" aria-hidden="true">\s*<', card)
    assert f'<h3><a href="{url}">Ink Wash</a></h3>' in card
    meta = card[card.index('<p class="card-meta">'):]
    meta = meta.split("</p>")[0]
    assert "Mira Okafor" in meta
    assert re.search(r'<strong>5 tokens<span class="visually-hidden"> per image</span>', meta)


def test_the_style_page_leads_with_its_most_liked_images_and_the_generate_panel(client, style, make_generation):
    from marketplace.core.testing import public_image

    images = [public_image(make_generation, prompt=f"heron {n}") for n in range(8)]
    Generation.objects.filter(pk=images[3].pk).update(like_count=9)
    Generation.objects.filter(pk=images[5].pk).update(like_count=4)
    make_generation(prompt="kept private", status=Generation.Status.COMPLETED, image="generations/p.png")

    html = client.get(style.get_absolute_url()).content.decode()
    start = html.index('data-testid="style-gallery"')
    gallery = html[start:html.index("</ul>", start)]
    shown = re.findall(r'alt="(heron \d+), in the Ink Wash style"', gallery)
    assert shown[:2] == ["heron 3", "heron 5"] and len(shown) == 6 and "kept private" not in html
    # Then the generate panel (its login button for a visitor), then the facts: price and licence.
    assert html.index('data-testid="style-gallery"') < html.index('class="style-panel"') < html.index("price-heading")


def test_active_filters_show_as_chips_that_each_remove_one(client, make_style, make_user):
    make_style(name="Ink Harbour", tags=["ink"], price_per_generation=3)
    html = client.get(CATALOG, {"q": "harbour", "tags": "ink", "price_max": "9", "cursor": "x"}).content.decode()

    chips = html[html.index('data-testid="filter-chips"'):html.index("</ul>", html.index('data-testid="filter-chips"'))]
    removes = dict(re.findall(r'<a href="([^"]+)" hx-get="[^"]+"[^>]*aria-label="Remove filter: ([^"]+)"', chips))
    assert set(removes.values()) == {"all of: ink", "matching “harbour”", "up to 9 tokens"}
    by_words = {words: url for url, words in removes.items()}
    assert by_words["all of: ink"] == "?q=harbour&amp;price_max=9"  # the cursor goes too: back to the start
    assert by_words["up to 9 tokens"] == "?q=harbour&amp;tags=ink"
    assert 'data-testid="more-filters" open' in html  # a filter inside it applies: it stays open


def test_without_filters_there_are_no_chips_and_more_filters_is_folded(client, style):
    html = client.get(CATALOG).content.decode()
    assert 'data-testid="filter-chips"' not in html
    assert '<details class="catalog-more" data-testid="more-filters">' in html
    # The search box and the sort stand on top, outside the folded panel.
    top = html[html.index('class="catalog-top"'):html.index('data-testid="more-filters"')]
    assert 'name="q"' in top and 'name="sort"' in top and 'name="tags"' not in top
