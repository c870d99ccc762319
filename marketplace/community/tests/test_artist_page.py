import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace.community.models import Follow
from marketplace.community.tests.rows import add_like
from marketplace.generations.models import Generation
from marketplace.styles.models import Style

pytestmark = pytest.mark.django_db

# --- public artist page ------------------------------------------------------


def test_artist_page_shows_live_styles_only(client, artist, make_style, make_user):
    make_style(name="Live Ink")
    make_style(name="Still Pending", training_status=Style.Status.PENDING)
    make_style(name="Failed Run", training_status=Style.Status.FAILED)
    make_style(name="Taken Down", deleted_at=timezone.now())
    Follow.objects.create(follower=make_user(), following=artist)
    Follow.objects.create(follower=make_user(), following=artist)

    response = client.get(reverse("community:artist", kwargs={"username": artist.username}))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Mira Okafor" in body
    assert "Live Ink" in body
    for hidden in ("Still Pending", "Failed Run", "Taken Down"):
        assert hidden not in body
    assert "2 followers" in body


def test_artist_page_shows_public_images_only(client, user, make_generation):
    public = make_generation(
        status=Generation.Status.COMPLETED, visibility=Generation.Visibility.PUBLIC, image="generations/a.png"
    )
    private = make_generation(
        status=Generation.Status.COMPLETED, visibility=Generation.Visibility.PRIVATE, image="generations/b.png"
    )
    body = client.get(reverse("community:artist", kwargs={"username": user.username})).content.decode()
    assert public.get_absolute_url() in body
    assert private.get_absolute_url() not in body
    assert "0 followers" in body


def test_unknown_artist_is_404(client, db):
    response = client.get(reverse("community:artist", kwargs={"username": "nobody-here"}))
    assert response.status_code == 404


def test_artist_page_by_id_redirects_to_the_handle(client, artist):
    response = client.get(reverse("community:artist", kwargs={"username": str(artist.pk)}))

    assert response.status_code == 302
    assert response["Location"] == artist.get_absolute_url() == "/artists/mira/"
    assert client.get(reverse("community:artist", kwargs={"username": "987654"})).status_code == 404


def test_artist_page_shows_newest_styles_and_links_to_the_catalog_filtered_by_artist(client, artist, make_style):
    for n in range(13):
        make_style(name=f"Style {n:02d}", tags=["ink"])

    response = client.get(artist.get_absolute_url())

    body = response.content.decode()
    assert body.count('class="style-card"') == 12
    assert "Style 12" in body and "Style 00" not in body
    assert f'href="/styles/?artist_id={artist.pk}"' in body
    assert "See all of Mira Okafor's styles in the catalog" in body
    assert 'href="/styles/?tags=ink"' in body


def test_artist_page_image_cards_show_like_counts(client, user, make_user, make_generation):
    image = make_generation(
        status=Generation.Status.COMPLETED, visibility=Generation.Visibility.PUBLIC, image="generations/a.png"
    )
    add_like(user=make_user(), generation=image)

    body = client.get(user.get_absolute_url()).content.decode()

    assert 'data-testid="like-count">1</span>' in body and "0 comments" in body


def test_artist_page_query_count_does_not_grow(client, artist, make_style, make_user, django_assert_max_num_queries):
    buyer = make_user()

    def queries_for(count):
        for n in range(count):
            style = make_style(tags=[f"tag{n}", "ink"])
            Generation.objects.create(
                user=artist, style=style, prompt="fox", aspect_ratio="1:1", seed=n, cost=5, image="generations/a.png",
                status=Generation.Status.COMPLETED, visibility=Generation.Visibility.PUBLIC,
            )
            Follow.objects.get_or_create(follower=buyer, following=artist)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(artist.get_absolute_url()).status_code == 200
        return len(queries)

    assert queries_for(3) == queries_for(30)
    with django_assert_max_num_queries(6):
        client.get(artist.get_absolute_url())


def test_artist_page_has_a_follow_button_and_both_counts(client, artist, make_user):
    fans = [make_user() for _ in range(3)]
    for fan in fans:
        Follow.objects.create(follower=fan, following=artist)
    Follow.objects.create(follower=artist, following=fans[0])
    client.force_login(fans[1])

    html = client.get(artist.get_absolute_url()).content.decode()

    assert "3 followers" in html and "Follows 1 person" in html
    assert 'data-testid="follow-button" aria-pressed="true"' in html
    assert f'action="{reverse("community:follow", args=[artist.pk])}"' in html


def test_visitors_see_follow_as_a_login_link_and_artists_no_button_on_their_own_page(client, artist):
    html = client.get(artist.get_absolute_url()).content.decode()
    assert reverse("account_login") in html and 'data-testid="follow-button"' in html

    client.force_login(artist)
    html = client.get(artist.get_absolute_url()).content.decode()
    assert 'data-testid="follow-button"' not in html and reverse("community:following") in html


def test_signed_in_artist_page_query_count_does_not_grow(client, artist, make_style, make_user):
    viewer = make_user()
    client.force_login(viewer)

    def queries_for(count):
        for n in range(count):
            style = make_style()
            Generation.objects.create(
                user=artist, style=style, prompt="fox", aspect_ratio="1:1", seed=n, cost=5, image="generations/a.png",
                status=Generation.Status.COMPLETED, visibility=Generation.Visibility.PUBLIC,
            )
            Follow.objects.create(follower=make_user(), following=artist)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(artist.get_absolute_url()).status_code == 200
        return len(queries)

    assert queries_for(3) == queries_for(30)
