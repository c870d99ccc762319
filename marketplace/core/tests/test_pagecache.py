"""Whole public pages from the cache for anonymous visitors (marketplace/core/pagecache.py)."""

import time

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import Client, RequestFactory
from django.urls import reverse

from marketplace.core.testing import credit_tokens, public_image

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.ANON_PAGE_CACHE_SECONDS = 10


@pytest.fixture
def pages(public, style, artist):
    return {
        "home": reverse("home"),
        "catalog": reverse("styles:catalog") + "?sort=popular",
        "style": style.get_absolute_url(),  # a style one can generate with: the page holds the generate form
        "feed": reverse("community:feed"),
        "image": reverse("community:image", args=[public.pk]),
        "artist": reverse("community:artist", args=[artist.username]),
    }


@pytest.fixture
def style(style):
    style.model_path = "models/ink-wash.safetensors"
    style.save(update_fields=["model_path"])
    return style


@pytest.fixture
def public(make_generation):
    return public_image(make_generation, prompt="a heron in the reeds")


@pytest.mark.parametrize("name", ["home", "catalog", "style", "feed", "image", "artist"])
def test_a_second_anonymous_visit_comes_from_the_cache_without_a_query(client, pages, name,
                                                                        django_assert_num_queries):
    first = client.get(pages[name])
    assert first.status_code == 200
    assert first["X-Cache"] == "miss"
    with django_assert_num_queries(0):
        second = client.get(pages[name])
    assert second["X-Cache"] == "hit"
    assert second.content == first.content
    assert "Age" in second


@pytest.mark.parametrize("name", ["home", "catalog", "style", "feed", "image", "artist"])
def test_an_anonymous_page_holds_no_token_and_sets_no_cookie(client, pages, name):
    for _ in range(2):  # the page as built, and as the cache gives it
        response = client.get(pages[name])
        assert response.status_code == 200
        assert not response.cookies
        assert "csrfmiddlewaretoken" not in response.content.decode()
        assert "X-CSRFToken" not in response.content.decode()
        assert response["Cache-Control"] == "no-cache"  # only our cache keeps it, nothing downstream
        assert "HX-Request" in response["Vary"]


def test_a_new_public_image_shows_once_the_cached_page_expires(client, settings, make_generation, public):
    settings.ANON_PAGE_CACHE_SECONDS = 1
    feed = reverse("community:feed")
    assert "a heron in the reeds" in client.get(feed).content.decode()
    public_image(make_generation, prompt="an owl at dusk")
    stale = client.get(feed)
    assert stale["X-Cache"] == "hit"
    assert "an owl at dusk" not in stale.content.decode()
    time.sleep(1.2)
    fresh = client.get(feed)
    assert fresh["X-Cache"] == "miss"
    assert "an owl at dusk" in fresh.content.decode()


def test_a_signed_in_user_never_gets_the_cached_page_and_sees_their_own_balance(client, pages, user):
    anonymous = client.get(pages["feed"])
    assert client.get(pages["feed"])["X-Cache"] == "hit"
    credit_tokens(user, 37)
    client.force_login(user)
    mine = client.get(pages["feed"])
    assert "X-Cache" not in mine
    assert mine.content != anonymous.content
    assert 'data-testid="token-balance">37<' in mine.content.decode()
    assert "private" in mine["Cache-Control"]
    credit_tokens(user, 5)
    assert 'data-testid="token-balance">42<' in client.get(pages["feed"]).content.decode()


def test_a_page_a_signed_in_user_saw_is_not_given_to_an_anonymous_visitor(client, pages, make_user):
    client.force_login(make_user(display_name="Zed Viewer"))
    assert "Zed Viewer" in client.get(pages["image"]).content.decode()
    anonymous = Client().get(pages["image"])
    assert anonymous["X-Cache"] == "miss"
    assert reverse("account_login") in anonymous.content.decode()
    assert "Zed Viewer" not in anonymous.content.decode()
    assert "token-balance" not in anonymous.content.decode()


def test_the_htmx_fragment_and_the_whole_page_are_cached_apart(client, pages):
    page = client.get(pages["feed"])
    fragment = client.get(pages["feed"], headers=HTMX)
    assert fragment["X-Cache"] == "miss"
    assert b"<html" in page.content and b"<html" not in fragment.content
    assert client.get(pages["feed"], headers=HTMX).content == fragment.content
    assert client.get(pages["feed"]).content == page.content
    restore = client.get(pages["feed"], headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert restore["X-Cache"] == "miss" and b"<html" in restore.content


def test_the_query_string_is_part_of_the_key(client, pages):
    client.get(pages["catalog"])
    assert client.get(reverse("styles:catalog") + "?sort=newest")["X-Cache"] == "miss"


def test_a_visitor_with_a_message_waiting_gets_it_and_it_is_not_cached_for_others(client, pages):
    storage = CookieStorage(RequestFactory().get("/"))
    value = storage._encode([Message(constants.SUCCESS, "You have signed out.")])
    client.cookies["messages"] = value
    response = client.get(pages["home"])
    assert "You have signed out." in response.content.decode()
    assert "X-Cache" not in response
    assert "You have signed out." not in Client().get(pages["home"]).content.decode()


def test_the_login_page_is_not_cached_and_keeps_its_token(client):
    response = client.get(reverse("account_login"))
    assert "X-Cache" not in response
    assert "csrfmiddlewaretoken" in response.content.decode()
    assert "csrftoken" in response.cookies


def test_zero_seconds_switches_the_cache_off(client, settings, pages):
    settings.ANON_PAGE_CACHE_SECONDS = 0
    client.get(pages["feed"])
    assert "X-Cache" not in client.get(pages["feed"])


def test_an_htmx_post_without_the_csrf_header_is_refused_and_with_the_cookie_token_accepted(pages, user, public):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    browser.get(pages["image"])  # the signed-in page sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    like = reverse("community:like", args=[public.pk])
    assert browser.post(like, {"like": "1"}, headers=HTMX).status_code == 403
    response = browser.post(like, {"like": "1"}, headers={**HTMX, "X-CSRFToken": token})
    assert response.status_code == 200
    assert 'aria-pressed="true"' in response.content.decode()


def test_the_generate_form_carries_a_token_only_for_someone_signed_in(client, style, user):
    """A visitor sees the form (and its price) but cannot submit it, so their page holds no token and is
    cached; a signed-in user's form posts with their token and their page is never stored."""
    assert "csrfmiddlewaretoken" not in client.get(style.get_absolute_url()).content.decode()
    client.force_login(user)
    response = client.get(style.get_absolute_url())
    assert 'id="generate-form"' in response.content.decode()
    assert "csrfmiddlewaretoken" in response.content.decode()
    assert "X-Cache" not in response
