"""Comments on an image's page: posting (htmx and plain form), refusals with their reason, deleting,
hidden comments, and 20 at a time with "Show more comments"."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.community.models import Comment
from marketplace.community.tests.rows import add_comment, recount
from marketplace.core.testing import public_image
from marketplace.notifications.models import Notification

HTMX = {"HX-Request": "true"}


@pytest.fixture
def image(make_generation, user):
    return public_image(make_generation, user=user, prompt="heron, dusk")


@pytest.fixture
def fan(make_user):
    return make_user(username="noor", display_name="Noor")


def post(client, image, body, **kwargs):
    return client.post(reverse("community:comment-post", args=[image.pk]), {"body": body}, **kwargs)


def delete(client, comment, **kwargs):
    return client.post(reverse("community:comment-delete", args=[comment.pk]), **kwargs)


def comments_on(image, count, *, by, start=None):
    start = start or timezone.now() - timedelta(days=1)
    made = [add_comment(user=by, generation=image, body=f"comment {n}") for n in range(count)]
    for n, comment in enumerate(made):  # distinct, increasing times: the order is the test
        Comment.objects.filter(pk=comment.pk).update(created_at=start + timedelta(minutes=n))
    return made


def test_posting_with_htmx_appends_the_comment_resets_the_form_and_counts(
    client, image, fan, user, django_capture_on_commit_callbacks
):
    comments_on(image, 1, by=user)
    client.force_login(fan)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, image, "  What lovely light  ", headers=HTMX)

    assert response.status_code == 200
    comment = Comment.objects.get(user=fan)
    assert comment.body == "What lovely light"
    html = response.content.decode()
    assert '<ol hx-swap-oob="beforeend:#comments-posted">' in html and f'id="comment-{comment.pk}"' in html
    assert html.lstrip().startswith('<form id="comment-form"') and "></textarea>" in html  # a fresh, empty form
    assert 'data-testid="comment-counter"' in html and "0 / 500" in html
    assert 'id="comment-summary" hx-swap-oob="true"' in html and "2 comments" in html
    notice = Notification.objects.get(recipient=user, kind=Notification.Kind.COMMENT)
    assert notice.link == f"{image.get_absolute_url()}#comment-{comment.pk}"


def test_posting_without_javascript_goes_back_to_the_comment(client, image, fan):
    client.force_login(fan)
    response = post(client, image, "Plain and simple")
    comment = Comment.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{image.get_absolute_url()}#comment-{comment.pk}"
    html = client.get(image.get_absolute_url()).content.decode()
    assert f'id="comment-{comment.pk}"' in html and "Plain and simple" in html


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write something before posting."),
        ("   \n  ", "Write something before posting."),
        ("x" * 501, "A comment can be at most 500 characters; this one has 501."),
    ],
)
def test_a_refused_comment_comes_back_with_the_reason(client, image, fan, body, message):
    client.force_login(fan)

    response = post(client, image, body, headers=HTMX)

    assert response.status_code == 422
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="comment-form"')
    assert f'data-testid="comment-error">{message}<' in html and 'aria-invalid="true"' in html
    assert f">{body}</textarea>" in html  # what they typed is kept
    plain = post(client, image, body)
    assert plain.status_code == 422 and message in plain.content.decode() and "<html" in plain.content.decode()
    assert Comment.objects.count() == 0


def test_500_characters_is_fine(client, image, fan):
    client.force_login(fan)
    assert post(client, image, "y" * 500, headers=HTMX).status_code == 200
    assert len(Comment.objects.get().body) == 500


def test_anonymous_visitors_are_asked_to_log_in_and_private_images_take_no_comments(
    client, image, fan, make_generation
):
    response = post(client, image, "hello")
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    private = public_image(make_generation, visibility="private")
    client.force_login(fan)
    assert post(client, private, "hello", headers=HTMX).status_code == 404
    assert Comment.objects.count() == 0


def test_commenting_on_your_own_image_notifies_nobody(client, image, user, django_capture_on_commit_callbacks):
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, image, "My own words", headers=HTMX).status_code == 200
    assert Notification.objects.count() == 0


def test_you_can_delete_your_own_comment(client, image, fan, user):
    mine, other = comments_on(image, 1, by=fan) + comments_on(image, 1, by=user)
    client.force_login(fan)

    response = delete(client, mine, headers=HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="comment-summary" hx-swap-oob="true"' in html and "1 comment<" in html
    assert not Comment.objects.filter(pk=mine.pk).exists() and Comment.objects.filter(pk=other.pk).exists()
    page = client.get(image.get_absolute_url()).content.decode()
    assert f'id="comment-{other.pk}"' in page and "Delete this comment?" not in page  # not fan's to delete


def test_deleting_without_javascript_goes_back_to_the_comments(client, image, fan):
    [mine] = comments_on(image, 1, by=fan)
    client.force_login(fan)
    response = delete(client, mine)
    assert response.status_code == 302 and response["Location"] == f"{image.get_absolute_url()}#comments"
    assert Comment.objects.count() == 0


def test_staff_can_delete_any_comment(client, image, fan, make_user):
    [theirs] = comments_on(image, 1, by=fan)
    client.force_login(make_user(is_staff=True))
    assert 'data-testid="comment-delete"' in client.get(image.get_absolute_url()).content.decode()
    assert delete(client, theirs, headers=HTMX).status_code == 200
    assert Comment.objects.count() == 0


def test_others_get_403_and_the_comment_stays(client, image, fan, user):
    [theirs] = comments_on(image, 1, by=fan)
    client.force_login(user)  # even the image's owner

    response = delete(client, theirs, headers=HTMX)

    assert response.status_code == 403
    assert "Only its author, or staff, can delete a comment." in response.content.decode()
    assert Comment.objects.filter(pk=theirs.pk).exists()
    client.logout()
    assert delete(client, theirs).status_code == 302  # to the login page
    assert Comment.objects.filter(pk=theirs.pk).exists()


def test_a_hidden_comment_vanishes_for_others_but_its_author_and_staff_see_it(client, image, fan, user, make_user):
    [hidden] = comments_on(image, 1, by=fan)
    Comment.objects.filter(pk=hidden.pk).update(hidden_at=timezone.now())
    recount(image.pk)

    html = client.get(image.get_absolute_url()).content.decode()
    assert f'id="comment-{hidden.pk}"' not in html and "0 comments" in html
    client.force_login(user)
    assert f'id="comment-{hidden.pk}"' not in client.get(image.get_absolute_url()).content.decode()
    assert delete(client, hidden).status_code == 404
    for viewer in (fan, make_user(is_staff=True)):
        client.force_login(viewer)
        html = client.get(image.get_absolute_url()).content.decode()
        assert f'id="comment-{hidden.pk}"' in html and "Hidden by a moderator" in html


def test_comments_come_oldest_first_twenty_at_a_time(client, image, fan):
    made = comments_on(image, 45, by=fan)

    response = client.get(image.get_absolute_url())
    html = response.content.decode()
    assert [c.pk for c in response.context["comments"]] == [c.pk for c in made[:20]]
    assert "45 comments" in html and 'data-testid="comments-more"' in html
    cursor = response.context["comments_next"]
    assert f'href="?comments={cursor}#comments"' in html and f'hx-get="?comments={cursor}"' in html

    second = client.get(image.get_absolute_url(), {"comments": cursor}, headers=HTMX)
    body = second.content.decode()
    assert second.status_code == 200 and "<html" not in body and 'id="comment-form"' not in body
    assert [c.pk for c in second.context["comments"]] == [c.pk for c in made[20:40]]
    assert 'id="comments-more" hx-swap-oob="true"' in body

    third = client.get(image.get_absolute_url(), {"comments": second.context["comments_next"]}, headers=HTMX)
    assert [c.pk for c in third.context["comments"]] == [c.pk for c in made[40:]]
    assert 'id="comments-more" hx-swap-oob="true"' in third.content.decode()
    assert 'data-testid="comments-more"' not in third.content.decode()  # the button goes away


def test_the_more_link_works_without_javascript(client, image, fan):
    made = comments_on(image, 21, by=fan)
    first = client.get(image.get_absolute_url())
    later = client.get(image.get_absolute_url(), {"comments": first.context["comments_next"]})
    html = later.content.decode()
    assert later.status_code == 200 and "<html" in html
    assert [c.pk for c in later.context["comments"]] == [made[20].pk]
    assert "Back to the first comments" in html and 'data-testid="comments-more"' not in html


def test_a_broken_cursor_is_the_first_page(client, image, fan):
    made = comments_on(image, 3, by=fan)
    response = client.get(image.get_absolute_url(), {"comments": "not-a-cursor"})
    assert [c.pk for c in response.context["comments"]] == [c.pk for c in made]


def test_each_comment_has_its_anchor_and_a_report_link_for_others(client, image, fan, user):
    [theirs] = comments_on(image, 1, by=user)
    client.force_login(fan)
    html = client.get(image.get_absolute_url()).content.decode()
    assert 'id="comments"' in html and f'id="comment-{theirs.pk}"' in html
    assert f'href="/report/comment/{theirs.pk}/"' in html
    client.force_login(user)
    assert f'href="/report/comment/{theirs.pk}/"' not in client.get(image.get_absolute_url()).content.decode()


def test_a_comment_and_its_grouped_notice_take_a_bounded_number_of_queries(
    client, image, fan, user, make_user, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    client.force_login(make_user())
    with django_capture_on_commit_callbacks(execute=True):
        post(client, image, "first", headers=HTMX)  # opens the owner's unread "comments" group
    client.force_login(fan)

    # The session's user; the image, the comment, its counter; the owner's setting, the group's notice
    # locked and updated, the event that dedupes it; the summary's count; two savepoint pairs (in the test's
    # transaction; BEGIN/COMMIT in a server's). It was 16: the event had a savepoint and an UPDATE of its own.
    with django_assert_max_num_queries(13), django_capture_on_commit_callbacks(execute=True):
        response = post(client, image, "second", headers=HTMX)

    assert response.status_code == 200
    notice = Notification.objects.get(recipient=user, kind=Notification.Kind.COMMENT)
    assert notice.actor_count == 2 and "Noor and 1 other" in notice.message
