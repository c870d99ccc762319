"""An image's page as its owner, another person, an anonymous visitor and staff see it; the owner's job card
on it and on the generate page."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace.community.models import Comment, Follow
from marketplace.community.tests.rows import add_comment, add_like
from marketplace.core.testing import public_image
from marketplace.generations.models import Generation
from marketplace.generations.services import generation_report, generation_submit

HTMX = {"HX-Request": "true"}


@pytest.fixture
def image(make_generation, user, style):
    return public_image(make_generation, user=user, prompt="heron, dusk", aspect_ratio="1:2", seed=1234567)


@pytest.fixture
def visitor(make_user):
    return make_user(username="noor", display_name="Noor")


def page(client, generation, **kwargs):
    response = client.get(generation.get_absolute_url(), **kwargs)
    return response, response.content.decode()


def test_the_image_page_lives_in_community():
    generation = Generation(pk=7)
    assert generation.get_absolute_url() == "/images/7/" == reverse("community:image", args=[7])


def test_a_visitor_sees_the_picture_maker_style_tags_and_actions(client, image, user, style, artist, visitor):
    Follow.objects.create(follower=visitor, following=user)
    add_like(user=visitor, generation=image)
    client.force_login(visitor)

    response, html = page(client, image)

    assert response.status_code == 200
    assert 'src="/media/generations/out.png"' in html and 'width="512" height="1024"' in html
    assert f'href="{user.get_absolute_url()}" data-testid="image-maker">Ada<' in html
    assert 'data-testid="follower-count">1 follower<' in html and 'aria-pressed="true"' in html  # you follow Ada
    assert f'href="{style.get_absolute_url()}" data-testid="image-style">{style.name}<' in html
    assert f'href="{artist.get_absolute_url()}" data-testid="image-style-artist">Mira Okafor<' in html
    assert f'href="/generate/?style={style.pk}" data-testid="generate-in-style"' in html
    assert 'href="/feed/?tags=heron" class="tag-pill">heron<' in html and 'href="/feed/?tags=dusk"' in html
    assert "1:2 portrait" in html and 'data-testid="image-seed">1234567<' in html
    assert f'href="/generate/?remix={image.pk}" data-testid="remix"' in html
    assert 'href="/media/generations/out.png" download' in html
    assert 'data-testid="copy-link"' in html and f'value="http://testserver/images/{image.pk}/"' in html
    assert 'data-testid="like-count">1<' in html
    assert 'id="comments"' in html and 'id="comment-form"' in html
    assert f'href="/report/generation/{image.pk}/"' in html
    assert "js/image_page.js" in html


def test_visitors_are_never_told_internal_states(client, image, visitor):
    for viewer in (None, visitor):
        if viewer:
            client.force_login(viewer)
        _, html = page(client, image)
        assert "Completed" not in html and "Status" not in html.split("<main", 1)[1].split("</main>")[0]
        assert "Publish to feed" not in html and "Withdraw from feed" not in html and "Delete this image" not in html


def test_anonymous_visitors_see_comments_and_are_asked_to_log_in(client, image, visitor):
    add_comment(user=visitor, generation=image, body="Lovely light")

    response, html = page(client, image)

    assert response.status_code == 200
    assert "Lovely light" in html and 'data-testid="comment-count">1 comment<' in html
    assert 'data-testid="login-to-comment"' in html and 'id="comment-form"' not in html
    assert "report-link" not in html and 'data-testid="comment-delete"' not in html
    assert f'href="/accounts/login/?next=/images/{image.pk}/' in html  # the like and follow buttons ask too


def test_the_owner_sees_publish_withdraw_and_delete_but_no_report_or_state(client, image, user):
    client.force_login(user)

    response, html = page(client, image)

    assert response.status_code == 200
    assert "Withdraw from feed" in html and "Delete" in html
    assert f'name="next" value="{image.get_absolute_url()}"' in html
    assert "report-link" not in html and 'data-testid="job-status"' not in html and "Completed" not in html
    assert 'data-testid="follow-button"' not in html  # nobody follows themselves


def test_withdrawing_from_the_image_page_comes_back_to_it(client, image, user):
    client.force_login(user)
    response = client.post(
        reverse("generations:visibility", args=[image.pk]), {"visibility": "private", "next": image.get_absolute_url()}
    )
    assert response.status_code == 302 and response["Location"] == image.get_absolute_url()
    image.refresh_from_db()
    assert image.visibility == "private"
    assert "Publish to feed" in page(client, image)[1]


def test_a_private_image_is_404_for_others_and_shown_to_its_owner_and_staff(client, image, user, visitor, make_user):
    Generation.objects.filter(pk=image.pk).update(visibility=Generation.Visibility.PRIVATE)

    assert page(client, image)[0].status_code == 404
    client.force_login(visitor)
    assert page(client, image)[0].status_code == 404
    for viewer in (user, make_user(is_staff=True)):
        client.force_login(viewer)
        response, html = page(client, image)
        assert response.status_code == 200 and "heron, dusk" in html


def test_a_hidden_image_is_404_for_others_but_its_owner_still_sees_it(client, image, user, visitor):
    Generation.objects.filter(pk=image.pk).update(hidden_at=timezone.now())

    assert page(client, image)[0].status_code == 404
    client.force_login(visitor)
    assert page(client, image)[0].status_code == 404
    client.force_login(user)
    assert page(client, image)[0].status_code == 200


def test_a_deleted_image_has_no_page_even_for_its_owner(client, image, user):
    Generation.objects.filter(pk=image.pk).update(deleted_at=timezone.now(), image="")
    client.force_login(user)
    assert page(client, image)[0].status_code == 404


def test_no_generate_or_remix_link_when_the_style_is_withdrawn(client, image, style, user, visitor):
    # Its owner still sees the image of a withdrawn style; there is nothing to generate with any more.
    style.deleted_at = timezone.now()
    style.save(update_fields=["deleted_at"])
    client.force_login(user)
    response, html = page(client, image)
    assert response.status_code == 200
    assert 'data-testid="generate-in-style"' not in html and 'data-testid="remix"' not in html


def test_more_in_this_style_shows_up_to_six_other_public_images(client, image, make_generation, visitor, make_style):
    others = [public_image(make_generation, prompt=f"other {n}") for n in range(7)]
    public_image(make_generation, prompt="private one", visibility="private")
    public_image(make_generation, prompt="elsewhere", style=make_style())

    response, html = page(client, image)

    shown = [generation.prompt for generation in response.context["more_in_style"]]
    assert shown == [generation.prompt for generation in reversed(others)][:6]
    assert "More in this style" in html and "private one" not in html and "elsewhere" not in html
    assert html.count('data-testid="generation-card"') == 6


def test_query_count_does_not_grow_with_comments(
    client, image, make_user, visitor, make_generation, django_assert_max_num_queries
):
    def queries_for(count):
        Comment.objects.filter(generation=image).delete()
        for n in range(count):
            add_comment(user=make_user(), generation=image, body=f"comment {n}")
            public_image(make_generation, prompt=f"more {n}")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(image.get_absolute_url())
        assert response.status_code == 200
        return len(queries)

    anonymous = queries_for(5), queries_for(50)
    assert anonymous[0] == anonymous[1]
    with django_assert_max_num_queries(3):
        client.get(image.get_absolute_url())

    client.force_login(visitor)
    signed_in = queries_for(5), queries_for(50)
    assert signed_in[0] == signed_in[1]
    with django_assert_max_num_queries(6):
        client.get(image.get_absolute_url())


# --- The owner's job card --------------------------------------------------------------------------------------


def submitted(user, style, fund):
    fund(user, 100)
    return generation_submit(
        user=user, style_id=style.pk, prompt_tags=["fox"], aspect_ratio="1:1", seed=9, request_key=uuid.uuid4()
    )


def test_the_owner_sees_the_polling_job_card_while_queued(client, user, trained_style, fund):
    generation = submitted(user, trained_style, fund)
    client.force_login(user)

    response, html = page(client, generation)

    assert response.status_code == 200
    assert f'hx-get="{generation.get_absolute_url()}" hx-trigger="every 2s"' in html
    assert 'data-testid="job-status">Queued<' in html and "Cancel and get 5 tokens back" in html
    assert 'id="comments"' not in html and 'data-testid="like-button"' not in html  # nothing to like yet


def test_the_polling_fragment_is_the_card_then_286_when_finished(client, user, trained_style, fund):
    generation = submitted(user, trained_style, fund)
    client.force_login(user)

    first, html = page(client, generation, headers=HTMX)
    assert first.status_code == 200 and html.lstrip().startswith("<div id=\"job-")
    assert "every 2s" in html and "<html" not in html

    Generation.objects.filter(pk=generation.pk).update(status="completed", image="generations/done.png")
    last, html = page(client, generation, headers=HTMX)
    assert last.status_code == 286
    assert "every 2s" not in html and 'data-testid="job-actions"' in html
    assert "tokensChanged" in last["HX-Trigger"] and "notificationsChanged" in last["HX-Trigger"]


def test_a_failed_job_shows_its_reason_to_the_owner_only(client, user, visitor, trained_style, fund, make_user):
    generation = submitted(user, trained_style, fund)
    generation_report(generation_id=generation.pk, status="failed", failure_reason="The GPU fell over.")
    client.force_login(user)

    last, html = page(client, generation, headers=HTMX)
    assert last.status_code == 286 and "The GPU fell over." in html and "5 tokens refunded." in html
    response, html = page(client, generation)
    assert 'data-testid="job-status">Failed<' in html and "every 2s" not in html and "Delete" in html

    client.force_login(visitor)
    assert page(client, generation, headers=HTMX)[0].status_code == 404
    client.force_login(make_user(is_staff=True))
    response, html = page(client, generation)
    assert response.status_code == 200 and "The GPU fell over." in html and 'data-testid="job-status"' not in html


def test_someone_else_asking_for_the_fragment_gets_the_whole_page(client, image, visitor):
    client.force_login(visitor)
    response, html = page(client, image, headers=HTMX)
    assert response.status_code == 200 and "<html" in html and "job-card" not in html


def test_the_finished_job_card_has_publish_download_remix_and_open(client, user, trained_style, fund):
    generation = submitted(user, trained_style, fund)
    Generation.objects.filter(pk=generation.pk).update(status="completed", image="generations/done.png")
    client.force_login(user)

    html = page(client, generation, headers=HTMX)[1]

    assert 'data-testid="job-actions"' in html
    assert "Publish to feed" in html and 'name="card" value="job"' in html
    assert f'hx-post="/generations/{generation.pk}/visibility/" hx-target="#job-{generation.pk}"' in html
    assert 'href="/media/generations/done.png" download' in html
    assert f'href="/generate/?remix={generation.pk}"' in html
    assert f'href="{generation.get_absolute_url()}">Open<' in html


def test_publishing_from_the_job_card_swaps_the_card(client, user, trained_style, fund):
    generation = submitted(user, trained_style, fund)
    Generation.objects.filter(pk=generation.pk).update(status="completed", image="generations/done.png")
    client.force_login(user)

    response = client.post(
        reverse("generations:visibility", args=[generation.pk]), {"visibility": "public", "card": "job"}, headers=HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<div id="job-{generation.pk}"') and "Withdraw from feed" in html
    assert 'data-testid="job-actions"' in html and "every 2s" not in html
    assert Generation.objects.public().filter(pk=generation.pk).exists()


def test_an_unfinished_job_card_has_no_action_row(client, user, trained_style, fund):
    generation = submitted(user, trained_style, fund)
    client.force_login(user)
    response = client.post(
        reverse("generations:generate"),
        {"style": trained_style.pk, "tags": "owl", "aspect_ratio": "1:1", "quoted_cost": 5,
         "request_key": str(uuid.uuid4())},
        headers=HTMX,
    )
    html = response.content.decode()
    assert 'class="job-card"' in html and 'data-testid="job-actions"' not in html
    assert page(client, generation, headers=HTMX)[1].count("job-actions") == 0


def test_the_old_address_redirects_to_the_image_page(client, image):
    response = client.get(f"/generations/{image.pk}/")
    assert response.status_code == 301 and response["Location"] == image.get_absolute_url()


def test_the_image_query_reads_the_counters_not_the_likes(client, image, make_user, visitor):
    for fan in (make_user(), make_user()):
        add_like(user=fan, generation=image)
    add_comment(user=visitor, generation=image, body="Lovely light")

    with CaptureQueriesContext(connection) as queries:
        html = client.get(image.get_absolute_url()).content.decode()

    [first] = [q["sql"] for q in queries.captured_queries if "generations_generation" in q["sql"]][:1]
    assert "community_like" not in first and "community_comment" not in first
    assert 'data-testid="like-count">2<' in html and 'data-testid="comment-count">1 comment<' in html
