"""What a moderator hides is gone for everyone but its owner and staff: lists, search, counts and
direct addresses; a hidden style cannot be generated with."""

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from marketplace.community.models import Comment
from marketplace.community.moderation import moderation_hide, moderation_restore
from marketplace.community.services import follow_toggle, like_toggle
from marketplace.community.tests.rows import add_comment
from marketplace.core.exceptions import ServiceError
from marketplace.core.testing import credit_tokens, public_image
from marketplace.generations.models import Generation
from marketplace.generations.services import generation_submit
from marketplace.ledger.models import LedgerEntry

HOME, FEED, CATALOG, TAGS = "/", reverse("community:feed"), reverse("styles:catalog"), reverse("styles:tags")


@pytest.fixture
def owner(make_user):
    return make_user(username="lena", display_name="Lena")


@pytest.fixture
def staff(make_user):
    return make_user(username="mod", is_staff=True)


@pytest.fixture
def stranger(make_user):
    return make_user(username="noor", display_name="Noor")


@pytest.fixture
def image(make_generation, owner, style):
    return public_image(make_generation, user=owner, style=style, prompt="lantern festival over the river")


@pytest.fixture
def other_image(make_generation, owner, style):
    return public_image(make_generation, user=owner, style=style, prompt="quiet harbour at dawn")


def page(client, url, viewer=None, **params):
    if viewer is None:
        client.logout()
    else:
        client.force_login(viewer)
    response = client.get(url, params)
    assert response.status_code == 200, url
    return response.content.decode()


def viewers(stranger, owner):
    """Anonymous visitors, other people and, on the public lists, even the owner."""
    return [None, stranger, owner]


# --- images --------------------------------------------------------------------------------------------


def test_a_hidden_image_leaves_the_feed_home_and_artist_page(client, image, other_image, owner, stranger, staff):
    for liked in (image, other_image):
        like_toggle(user=stranger, generation_id=liked.pk, like=True)  # both are in Top this week
    lists = [FEED, f"{FEED}?tab=top", HOME, owner.get_absolute_url()]
    for url in lists:
        assert "lantern festival" in page(client, url, stranger), url  # shown before it is hidden

    moderation_hide(moderator=staff, target=image, reason="Stolen")

    for viewer in viewers(stranger, owner):
        for url in lists:
            html = page(client, url, viewer)
            assert image.get_absolute_url() not in html and "lantern festival" not in html, (url, viewer)
            assert other_image.get_absolute_url() in html, (url, viewer)  # the rest stays


def test_a_hidden_image_leaves_more_in_this_style(client, image, other_image, stranger, staff):
    assert image.get_absolute_url() in page(client, other_image.get_absolute_url(), stranger)
    moderation_hide(moderator=staff, target=image, reason="Stolen")
    for viewer in (None, stranger):
        assert image.get_absolute_url() not in page(client, other_image.get_absolute_url(), viewer)


def test_a_hidden_image_leaves_the_following_feed(client, image, owner, stranger, staff):
    follow_toggle(follower=stranger, following_id=owner.pk, follow=True)
    assert "lantern festival" in page(client, f"{FEED}?tab=following", stranger)
    moderation_hide(moderator=staff, target=image, reason="Stolen")
    assert "lantern festival" not in page(client, f"{FEED}?tab=following", stranger)


def test_a_hidden_image_is_404_for_others_and_there_for_its_owner_and_staff(client, image, owner, stranger, staff):
    moderation_hide(moderator=staff, target=image, reason="Stolen")
    url = image.get_absolute_url()

    client.logout()
    assert client.get(url).status_code == 404
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    for viewer in (owner, staff):
        client.force_login(viewer)
        assert client.get(url).status_code == 200


def test_a_restored_image_is_back_in_the_feed(client, image, stranger, staff):
    moderation_hide(moderator=staff, target=image, reason="Stolen")
    moderation_restore(moderator=staff, target=image, reason="Appeal accepted")
    assert "lantern festival" in page(client, FEED, stranger)
    client.force_login(stranger)
    assert client.get(image.get_absolute_url()).status_code == 200


# --- styles --------------------------------------------------------------------------------------------


@pytest.fixture
def hidden_style(make_style):
    return make_style(name="Forbidden Garden", description="moss and moonlight", tags=["ink", "moonlit"])


@pytest.fixture
def other_style(make_style):
    return make_style(name="Open Meadow", tags=["ink"])


def tag_count(html, name):
    row = html[html.index(f">{name}</a>"):]
    return int(row[row.index('class="numeric">') + len('class="numeric">'):row.index("</td>")])


def test_a_hidden_style_leaves_the_catalog_search_tags_home_and_artist_page(
    client, hidden_style, other_style, artist, stranger, staff
):
    assert "Forbidden Garden" in page(client, CATALOG, stranger)
    assert "Forbidden Garden" in page(client, CATALOG, stranger, q="moonlight")
    assert tag_count(page(client, TAGS, stranger), "ink") == 2
    assert ">moonlit</a>" in page(client, TAGS, stranger)

    moderation_hide(moderator=staff, target=hidden_style, reason="Copied training set")

    for viewer in viewers(stranger, artist):
        for url, params in [(CATALOG, {}), (CATALOG, {"q": "moonlight"}), (CATALOG, {"q": "Forbidden"}),
                            (CATALOG, {"tags": "moonlit"}), (HOME, {}), (artist.get_absolute_url(), {})]:
            html = page(client, url, viewer, **params)
            assert "Forbidden Garden" not in html and hidden_style.get_absolute_url() not in html, (url, viewer)
        assert "Open Meadow" in page(client, CATALOG, viewer)
        tags = page(client, TAGS, viewer)
        assert tag_count(tags, "ink") == 1 and ">moonlit</a>" not in tags
    client.force_login(stranger)
    suggestions = client.get(reverse("styles:tag-suggest"), {"q": "moon"}).content.decode()
    assert "moonlit" not in suggestions


def test_a_hidden_style_is_404_for_others_and_there_for_its_artist_and_staff(
    client, hidden_style, artist, stranger, staff
):
    moderation_hide(moderator=staff, target=hidden_style, reason="Copied training set")
    url = hidden_style.get_absolute_url()

    client.logout()
    assert client.get(url).status_code == 404
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    client.force_login(artist)
    response = client.get(url)
    assert response.status_code == 200 and 'data-testid="style-hidden"' in response.content.decode()
    client.force_login(staff)
    assert client.get(url).status_code == 200


def test_images_in_a_hidden_style_leave_the_feed_and_their_pages(
    client, hidden_style, make_generation, owner, stranger, staff
):
    in_hidden = public_image(make_generation, user=owner, style=hidden_style, prompt="moonlit koi pond")
    moderation_hide(moderator=staff, target=hidden_style, reason="Copied training set")

    for url in (FEED, HOME, owner.get_absolute_url()):
        assert "moonlit koi pond" not in page(client, url, stranger), url
    client.force_login(stranger)
    assert client.get(in_hidden.get_absolute_url()).status_code == 404
    client.force_login(owner)
    assert client.get(in_hidden.get_absolute_url()).status_code == 200


def test_a_hidden_style_cannot_be_generated_with_and_nothing_is_charged(trained_style, stranger, staff):
    credit_tokens(stranger, 100)
    moderation_hide(moderator=staff, target=trained_style, reason="Copied training set")

    with pytest.raises(ServiceError, match="This style is not available for generation."):
        generation_submit(
            user=stranger, style_id=trained_style.pk, prompt_tags=["fox"], aspect_ratio="1:1", seed=1,
            request_key=uuid.uuid4(), quoted_cost=5,
        )

    stranger.refresh_from_db()
    assert stranger.token_balance == 100
    assert not Generation.objects.exists()
    assert not LedgerEntry.objects.filter(user=stranger).exclude(kind=LedgerEntry.Kind.PURCHASE).exists()


def test_the_generate_form_offers_no_hidden_style_and_refuses_one_posted(client, trained_style, stranger, staff):
    credit_tokens(stranger, 100)
    moderation_hide(moderator=staff, target=trained_style, reason="Copied training set")
    client.force_login(stranger)

    form = client.get(reverse("generations:generate")).content.decode()
    assert f'<option value="{trained_style.pk}"' not in form
    response = client.post(reverse("generations:generate"), {
        "style": trained_style.pk, "tags": "fox", "aspect_ratio": "1:1", "seed": "", "request_key": str(uuid.uuid4()),
        "quoted_cost": 5,
    })

    assert response.status_code == 422
    assert "This style is not available for generation." in response.content.decode()
    stranger.refresh_from_db()
    assert stranger.token_balance == 100 and not Generation.objects.exists()


def test_the_artist_sees_no_generate_form_on_their_hidden_style(client, trained_style, artist, staff):
    credit_tokens(artist, 100)
    client.force_login(artist)
    assert 'id="generate-heading"' in client.get(trained_style.get_absolute_url()).content.decode()
    moderation_hide(moderator=staff, target=trained_style, reason="Copied training set")
    assert 'id="generate-heading"' not in client.get(trained_style.get_absolute_url()).content.decode()


# --- comments ------------------------------------------------------------------------------------------


def test_a_hidden_comment_is_gone_for_others_and_there_for_its_author_and_staff(
    image, owner, stranger, staff, make_user
):
    author = make_user(username="kit")
    hidden = add_comment(user=author, generation=image, body="rude words")
    kept = add_comment(user=stranger, generation=image, body="lovely light")
    moderation_hide(moderator=staff, target=hidden, reason="Harassment")

    for viewer in (AnonymousUser(), stranger, owner):
        assert list(Comment.objects.visible_to(viewer).filter(generation=image)) == [kept]
    for viewer in (author, staff):
        assert list(Comment.objects.visible_to(viewer).filter(generation=image)) == [hidden, kept]


def test_a_hidden_comment_is_gone_from_the_image_page_for_others(client, image, owner, stranger, staff, make_user):
    author = make_user(username="kit")
    hidden = add_comment(user=author, generation=image, body="rude words")
    add_comment(user=stranger, generation=image, body="lovely light")
    moderation_hide(moderator=staff, target=hidden, reason="Harassment")
    url = image.get_absolute_url()

    for viewer in (None, stranger, owner):
        html = page(client, url, viewer)
        assert "lovely light" in html and "rude words" not in html and f'id="comment-{hidden.pk}"' not in html
    for viewer in (author, staff):
        html = page(client, url, viewer)
        assert "rude words" in html and "Hidden by a moderator" in html


def test_the_image_page_links_to_reports_for_others_only(client, image, owner, stranger):
    comment = add_comment(user=owner, generation=image, body="thanks for looking")
    report_image = reverse("community:report", args=["generation", image.pk])
    report_comment = reverse("community:report", args=["comment", comment.pk])

    html = page(client, image.get_absolute_url(), stranger)
    assert report_image in html and report_comment in html
    html = page(client, image.get_absolute_url(), owner)
    assert report_image not in html and report_comment not in html


def test_hidden_comments_are_not_counted_on_cards_or_the_image_page(client, image, stranger, staff, make_user):
    hidden = add_comment(user=make_user(), generation=image, body="rude words")
    add_comment(user=stranger, generation=image, body="lovely light")
    moderation_hide(moderator=staff, target=hidden, reason="Harassment")

    for url in (FEED, HOME, image.user.get_absolute_url()):
        html = page(client, url, stranger)
        assert "1 comment" in html and "2 comments" not in html, url
    assert 'data-testid="comment-count">1 comment<' in page(client, image.get_absolute_url(), stranger)
