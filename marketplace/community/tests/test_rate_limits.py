"""Comment, like and follow limits (per person; likes and follows share one count)."""

import pytest
from django.urls import reverse

from marketplace.community.models import Comment, Follow, Like
from marketplace.core.testing import public_image
from marketplace.core.testing.ratelimit import refused_fragment, refused_page, tighten

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def image(make_generation, user):
    return public_image(make_generation, user=user, prompt="heron, dusk")


@pytest.fixture
def fan(client, make_user):
    fan = make_user(username="noor", display_name="Noor")
    client.force_login(fan)
    return fan


def comment(client, image, body, **kwargs):
    return client.post(reverse("community:comment-post", args=[image.pk]), {"body": body}, **kwargs)


def test_a_comment_past_the_limit_gets_the_notice_and_is_not_posted(client, image, fan, settings):
    tighten(settings, comment="1/m")
    assert comment(client, image, "Lovely light.", headers=HTMX).status_code == 200
    response = comment(client, image, "And the reeds!", headers=HTMX)
    assert refused_fragment(response).startswith("Try again in")
    assert 'name="body"' not in response.content.decode()  # the form with the typed text is left alone
    assert refused_page(comment(client, image, "Third.")).startswith("Try again in")
    assert list(Comment.objects.values_list("body", flat=True)) == ["Lovely light."]


def test_likes_and_follows_share_one_limit(client, image, fan, user, settings):
    tighten(settings, social="2/m")
    like_url = reverse("community:like", args=[image.pk])
    assert client.post(like_url, {"like": "1"}, headers=HTMX).status_code == 200
    assert client.post(reverse("community:follow", args=[user.pk]), {"follow": "1"}, headers=HTMX).status_code == 200

    assert refused_fragment(client.post(like_url, {"like": "0"}, headers=HTMX)).startswith("Try again in")
    assert refused_page(client.post(reverse("community:follow", args=[user.pk]), {"follow": "0"})).startswith(
        "Try again in"
    )
    assert Like.objects.filter(user=fan).count() == 1 and Follow.objects.filter(follower=fan).count() == 1
