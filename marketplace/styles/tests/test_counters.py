"""A style's generation_count and like_count equal what its page used to count on every view (completed images
and the likes on them), however generations complete and likes come and go, concurrently too (issue 14)."""

import uuid

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace.community.models import Like
from marketplace.community.moderation import moderation_hide
from marketplace.community.services import like_delete, like_toggle
from marketplace.core.testing import public_image, run_in_threads
from marketplace.generations.models import Generation
from marketplace.generations.services import generation_report, generation_store_image, generation_submit
from marketplace.styles.counters import styles_recount
from marketplace.styles.models import Style

CATALOG = reverse("styles:catalog")


def true_counts(style) -> tuple[int, int]:
    """The aggregate the style page ran before the counters (Style.usage_stats)."""
    stats = Generation.objects.filter(style=style, status=Generation.Status.COMPLETED).aggregate(
        generations=Count("pk", distinct=True), likes=Count("likes")
    )
    return stats["generations"], stats["likes"]


def counters(style) -> tuple[int, int]:
    style.refresh_from_db(fields=["generation_count", "like_count"])
    return style.generation_count, style.like_count


def assert_every_style_is_true():
    for style in Style.objects.all():
        assert counters(style) == true_counts(style), style.name


def test_completing_a_generation_counts_it_once_on_its_style_and_a_failure_not_at_all(
    user, trained_style, fund, png_bytes, client
):
    for outcome in ("completed", "completed", "failed"):
        fund(user, 100)
        generation = generation_submit(
            user=user, style_id=trained_style.pk, prompt_tags=["fox"], aspect_ratio="1:1", seed=1,
            request_key=uuid.uuid4(),
        )
        generation_report(generation_id=generation.pk, status="processing")
        if outcome == "completed":
            generation_store_image(generation_id=generation.pk, data=png_bytes((512, 512)))
            generation_report(generation_id=generation.pk, status="completed")
            generation_report(generation_id=generation.pk, status="completed")  # a repeated report changes nothing
        else:
            generation_report(generation_id=generation.pk, status="failed", failure_reason="The GPU fell over.")

    assert counters(trained_style) == (2, 0) == true_counts(trained_style)
    assert "2 images made" in client.get(trained_style.get_absolute_url()).content.decode()


def test_likes_unlikes_staff_removal_and_hiding_keep_the_style_counter_true(
    make_generation, make_user, make_style, client
):
    other_style = make_style(name="Other")
    images = [public_image(make_generation, user=make_user()) for _ in range(2)]
    elsewhere = public_image(make_generation, style=other_style)
    fans = [make_user() for _ in range(3)]
    style = images[0].style
    styles_recount()  # the images went in completed, past the service that counts completions

    for fan in fans:
        like_toggle(user=fan, generation_id=images[0].pk, like=True)
    like_toggle(user=fans[0], generation_id=images[0].pk, like=True)  # asked twice: still one like
    like_toggle(user=fans[0], generation_id=images[1].pk)
    like_toggle(user=fans[1], generation_id=elsewhere.pk)
    assert counters(style)[1] == 4 and counters(other_style)[1] == 1
    assert_every_style_is_true()

    like_toggle(user=fans[1], generation_id=images[0].pk, like=False)
    like_toggle(user=fans[1], generation_id=images[0].pk, like=False)  # already gone: counted off once
    like_delete(like_id=Like.objects.get(user=fans[2], generation=images[0]).pk)
    assert counters(style)[1] == 2
    assert_every_style_is_true()

    # A moderator hiding an image leaves the style's totals as the page always counted them (every completed image).
    moderation_hide(moderator=make_user(is_staff=True), target=images[1], reason="Spam")
    assert_every_style_is_true()
    assert "2 likes" in client.get(style.get_absolute_url()).content.decode()


@pytest.mark.django_db(transaction=True)
def test_concurrent_likes_and_unlikes_on_one_style_leave_its_counter_true(postgres, make_generation, make_user):
    images = [public_image(make_generation, user=make_user()) for _ in range(3)]
    fans = [make_user() for _ in range(6)]
    styles_recount()  # the images went in completed, past the service that counts completions
    # 48 calls on 8 threads over three images of one style: likes and unlikes of the same rows race each
    # other, and every one of them also updates the one style row.
    plan = [(fans[i % 6], images[i % 3], [True, False, None, True][(i // 12) % 4]) for i in range(48)]

    def act(i):
        fan, image, wanted = plan[i]
        return like_toggle(user=fan, generation_id=image.pk, like=wanted)

    assert len(run_in_threads(act, len(plan), workers=8)) == 48
    style = images[0].style
    assert counters(style)[1] == Like.objects.filter(generation__style=style).count()
    assert_every_style_is_true()


def test_styles_recount_sets_the_counters_from_rows_written_past_the_services(make_generation, make_style, make_user):
    busy, idle = make_style(name="Busy"), make_style(name="Idle")
    done = [make_generation(style=busy, seed=seed, status=Generation.Status.COMPLETED) for seed in range(3)]
    make_generation(style=busy, status=Generation.Status.FAILED)
    Like.objects.bulk_create([Like(user=make_user(), generation=done[n % 2]) for n in range(5)])
    Style.objects.update(generation_count=99, like_count=99)

    assert styles_recount() == Style.objects.count()

    assert counters(busy) == (3, 5) and counters(idle) == (0, 0)
    assert_every_style_is_true()


def test_catalog_popular_and_the_style_page_read_counters_without_aggregating(client, make_style, make_generation):
    names = ("Quiet", "Busy", "Some", "Tied new")
    quiet, busy, some, tied_new = (make_style(name=name) for name in names)
    for seed in range(3):
        make_generation(style=busy, seed=seed, status=Generation.Status.COMPLETED)
    make_generation(style=some, status=Generation.Status.COMPLETED)
    make_generation(style=tied_new, status=Generation.Status.COMPLETED)
    make_generation(style=quiet, status=Generation.Status.FAILED)
    make_style(name="Hidden busy", hidden_at=busy.created_at)
    Style.objects.filter(name="Hidden busy").update(generation_count=100)
    styles_recount(Style.objects.exclude(name="Hidden busy"))

    for url, params in ((CATALOG, {"sort": "popular"}), (CATALOG, {"sort": "popular", "view": "table"}),
                        (busy.get_absolute_url(), {})):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params)
        assert response.status_code == 200
        # The popular page's Paginator still counts the live styles: no count or sum over images or likes.
        aggregating = [
            sql for sql in (q["sql"].upper() for q in queries)
            if ("COUNT(" in sql or "SUM(" in sql) and ("GENERATIONS_GENERATION" in sql or "COMMUNITY_LIKE" in sql)
        ]
        assert aggregating == [], url

    # Ties newest first; "Ink Wash" is make_generation's own style, the oldest, never used; hidden is not listed.
    popular = client.get(CATALOG, {"sort": "popular"})
    assert [s.name for s in popular.context["page"]] == ["Busy", "Tied new", "Some", "Quiet", "Ink Wash"]
    assert "3 images made" in client.get(busy.get_absolute_url()).content.decode()
