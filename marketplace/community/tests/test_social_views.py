"""The like and follow buttons (HTMX swap and plain form) and the list of people you follow."""

import pytest
from django.test import Client
from django.urls import reverse

from marketplace.community.models import Follow, Like
from marketplace.core.testing import public_image, run_in_threads
from marketplace.notifications.models import Notification

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def image(make_generation, user):
    return public_image(make_generation, user=user, prompt="heron at dusk")


@pytest.fixture
def fan(make_user):
    return make_user(username="noor", display_name="Noor")


def test_like_button_swaps_itself_with_the_new_count(client, image, fan):
    client.force_login(fan)

    response = client.post(reverse("community:like", args=[image.pk]), {"like": "1"}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="like-count">1<' in html and 'aria-pressed="true"' in html
    assert 'name="like" value="0"' in html  # the next press unlikes
    response = client.post(reverse("community:like", args=[image.pk]), {"like": "0"}, **HTMX)
    assert 'data-testid="like-count">0<' in response.content.decode() and Like.objects.count() == 0


def test_like_without_javascript_goes_back_to_the_page(client, image, fan):
    client.force_login(fan)
    response = client.post(reverse("community:like", args=[image.pk]), {"like": "1", "next": "/feed/?tab=top"})
    assert response.status_code == 302 and response["Location"] == "/feed/?tab=top"
    assert Like.objects.filter(user=fan, generation=image).exists()


def test_like_never_redirects_off_site(client, image, fan):
    client.force_login(fan)
    response = client.post(reverse("community:like", args=[image.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == image.get_absolute_url()


def test_anonymous_visitors_are_asked_to_log_in_to_like(client, image):
    response = client.post(reverse("community:like", args=[image.pk]), {"like": "1"})
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    assert Like.objects.count() == 0


def test_liking_a_private_image_is_404(client, make_generation, fan):
    private = public_image(make_generation, visibility="private")
    client.force_login(fan)
    assert client.post(reverse("community:like", args=[private.pk]), {"like": "1"}).status_code == 404


def test_like_needs_post(client, image, fan):
    client.force_login(fan)
    assert client.get(reverse("community:like", args=[image.pk])).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_like_requests_by_one_person_make_one_like(postgres, make_generation, make_user):
    owner, fan = make_user(), make_user()
    image = public_image(make_generation, user=owner)
    url = reverse("community:like", args=[image.pk])

    def press(_):
        browser = Client()
        browser.force_login(fan)
        return browser.post(url, {"like": "1"}, **HTMX).status_code

    assert run_in_threads(press, 2) == [200, 200]
    assert Like.objects.filter(user=fan, generation=image).count() == 1
    assert Notification.objects.filter(recipient=owner, kind=Notification.Kind.LIKE).count() == 1


def test_follow_button_swaps_itself_with_the_follower_count(client, artist, fan):
    client.force_login(fan)

    response = client.post(reverse("community:follow", args=[artist.pk]), {"follow": "1"}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200 and "Following" in html and "1 follower" in html
    assert Follow.objects.filter(follower=fan, following=artist).exists()
    response = client.post(reverse("community:follow", args=[artist.pk]), {"follow": "0"}, **HTMX)
    assert 'aria-pressed="false"' in response.content.decode()
    assert "0 followers" in response.content.decode() and not Follow.objects.exists()


def test_follow_without_javascript_goes_back_to_the_artist(client, artist, fan):
    client.force_login(fan)
    response = client.post(reverse("community:follow", args=[artist.pk]))
    assert response.status_code == 302 and response["Location"] == artist.get_absolute_url()
    assert Follow.objects.filter(follower=fan, following=artist).exists()


def test_following_yourself_is_refused(client, artist):
    client.force_login(artist)
    response = client.post(reverse("community:follow", args=[artist.pk]), {"follow": "1"}, **HTMX)
    assert response.status_code == 400 and "You cannot follow yourself." in response.content.decode()


def test_following_page_lists_who_you_follow_with_their_follower_counts(client, make_user, fan):
    lena, kenji, stranger = make_user(display_name="Lena"), make_user(display_name="Kenji"), make_user()
    Follow.objects.create(follower=fan, following=lena)
    Follow.objects.create(follower=fan, following=kenji)
    Follow.objects.create(follower=stranger, following=lena)
    client.force_login(fan)

    response = client.get(reverse("community:following"))

    people = response.context["people"]
    assert [p.public_name for p in people] == ["Kenji", "Lena"]  # most recently followed first
    assert [p.follower_count for p in people] == [1, 2]
    html = response.content.decode()
    assert "2 followers" in html and 'aria-pressed="true"' in html


def test_following_page_is_paginated_with_constant_queries(client, make_user, fan, django_assert_max_num_queries):
    for _ in range(30):
        Follow.objects.create(follower=fan, following=make_user())
    client.force_login(fan)

    with django_assert_max_num_queries(8):
        first = client.get(reverse("community:following"))
    more = first.context["page_obj"].next_cursor
    second = client.get(reverse("community:following"), {"cursor": more})

    assert len(first.context["people"]) == 24 and len(second.context["people"]) == 6
    assert {p.pk for p in first.context["people"]}.isdisjoint(p.pk for p in second.context["people"])
    assert second.context["page_obj"].next_cursor is None
    # "Load more" appends the next people to the list and replaces itself out of band.
    assert f'hx-get="?cursor={more}" hx-target="#people-list" hx-swap="beforeend"' in first.content.decode()


def test_following_page_needs_an_account(client):
    response = client.get(reverse("community:following"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
