"""The image's like_count and comment_count equal the real counts, whatever order and however concurrently
likes, unlikes, comments, deletions and moderation happen (the issue 14 gate)."""

import pytest

from marketplace.community.models import Comment, Like
from marketplace.community.moderation import moderation_hide, moderation_restore
from marketplace.community.services import (
    comment_create,
    comment_delete,
    counters_recount,
    like_delete,
    like_toggle,
)
from marketplace.core.testing import public_image, run_in_threads
from marketplace.generations.models import Generation


def true_counts(image) -> tuple[int, int]:
    return (
        Like.objects.filter(generation=image).count(),
        Comment.objects.filter(generation=image, hidden_at__isnull=True).count(),
    )


def counters(image) -> tuple[int, int]:
    image.refresh_from_db(fields=["like_count", "comment_count"])
    return image.like_count, image.comment_count


def assert_every_counter_is_true():
    for image in Generation.objects.all():
        assert counters(image) == true_counts(image), image.pk


@pytest.mark.django_db(transaction=True)
def test_concurrent_likes_and_unlikes_from_many_threads_leave_the_counter_true(postgres, make_generation, make_user):
    images = [public_image(make_generation, user=make_user()) for _ in range(2)]
    fans = [make_user() for _ in range(6)]

    # 48 calls on 8 threads: each fan likes, unlikes (and repeats, and flips) both images in an interleaved order,
    # so likes and unlikes of the same row race each other and the counter's UPDATE.
    plan = [(fans[i % 6], images[i % 2], [True, False, None, True][(i // 12) % 4]) for i in range(48)]

    def act(i):
        fan, image, wanted = plan[i]
        return like_toggle(user=fan, generation_id=image.pk, like=wanted)

    results = run_in_threads(act, len(plan), workers=8)

    assert len(results) == 48
    for image in images:
        assert counters(image)[0] == Like.objects.filter(generation=image).count()
    assert_every_counter_is_true()


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_likes_count_ten_and_ten_concurrent_unlikes_count_back_to_zero(
    postgres, make_generation, make_user
):
    image = public_image(make_generation, user=make_user())
    fans = [make_user() for _ in range(10)]

    run_in_threads(lambda i: like_toggle(user=fans[i], generation_id=image.pk, like=True), 10)
    assert counters(image) == (10, 0)
    # Two threads per fan unlike at once: only the one whose DELETE removed the like counts it off.
    run_in_threads(lambda i: like_toggle(user=fans[i % 10], generation_id=image.pk, like=False), 20)
    assert counters(image) == (0, 0) == true_counts(image)


@pytest.mark.django_db(transaction=True)
def test_concurrent_comments_and_deletions_leave_the_counter_true(postgres, make_generation, make_user):
    image = public_image(make_generation, user=make_user())
    people = [make_user() for _ in range(8)]
    made = run_in_threads(lambda i: comment_create(user=people[i], generation_id=image.pk, body=f"nice {i}"), 8)
    assert counters(image) == (0, 8)

    # Each comment deleted twice at once: the second waits on the first's lock, then finds nothing.
    def delete(i):
        try:
            comment_delete(user=people[i % 8], comment_id=made[i % 8].pk)
        except Comment.DoesNotExist:
            return "gone"
        return "deleted"

    outcomes = run_in_threads(delete, 16)
    assert outcomes.count("deleted") == 8
    assert counters(image) == (0, 0) == true_counts(image)


def test_moderation_hides_and_restores_comments_from_the_count(make_generation, make_user):
    image = public_image(make_generation, user=make_user())
    staff = make_user(is_staff=True)
    author, other = make_user(), make_user()
    rude = comment_create(user=author, generation_id=image.pk, body="rude words")
    comment_create(user=other, generation_id=image.pk, body="lovely light")
    assert counters(image) == (0, 2)

    moderation_hide(moderator=staff, target=rude, reason="Harassment")
    moderation_hide(moderator=staff, target=rude, reason="Harassment, again")  # already hidden: no change
    assert counters(image) == (0, 1) == true_counts(image)

    moderation_restore(moderator=staff, target=rude, reason="Misread")
    assert counters(image) == (0, 2) == true_counts(image)

    moderation_hide(moderator=staff, target=rude, reason="Harassment")
    comment_delete(user=staff, comment_id=rude.pk)  # a hidden comment was already off the count
    assert counters(image) == (0, 1) == true_counts(image)


def test_likes_toggled_by_the_service_and_removed_by_staff_are_counted(make_generation, make_user):
    image = public_image(make_generation, user=make_user())
    fans = [make_user() for _ in range(3)]
    for fan in fans:
        assert like_toggle(user=fan, generation_id=image.pk, like=True)[1] == fans.index(fan) + 1
    assert like_toggle(user=fans[0], generation_id=image.pk, like=True) == (True, 3)  # asked twice: one like
    assert like_toggle(user=fans[0], generation_id=image.pk) == (False, 2)
    assert like_toggle(user=fans[0], generation_id=image.pk, like=False) == (False, 2)

    like_delete(like_id=Like.objects.filter(user=fans[1]).get().pk)
    like_delete(like_id=10**9)  # already gone: nothing to count
    assert counters(image) == (1, 0) == true_counts(image)


def test_a_rolled_back_like_does_not_move_the_counter(make_generation, make_user):
    from django.db import transaction

    image = public_image(make_generation, user=make_user())
    fan = make_user()
    with pytest.raises(RuntimeError), transaction.atomic():
        like_toggle(user=fan, generation_id=image.pk, like=True)
        raise RuntimeError("the request failed after the like")
    assert counters(image) == (0, 0) == true_counts(image)


def test_recount_repairs_counters_after_rows_written_past_the_services(make_generation, make_user):
    images = [public_image(make_generation, user=make_user()) for _ in range(3)]
    fans = [make_user() for _ in range(4)]
    Like.objects.bulk_create(Like(user=fan, generation=images[0]) for fan in fans)
    Comment.objects.bulk_create(
        [Comment(user=fans[0], generation=images[1], body="kept")]
        + [Comment(user=fans[1], generation=images[1], body="hidden", hidden_at="2026-01-01T00:00:00Z")]
    )
    assert [counters(image) for image in images] == [(0, 0)] * 3

    assert counters_recount() == Generation.objects.count()

    assert [counters(image) for image in images] == [(4, 0), (0, 1), (0, 0)]
    assert_every_counter_is_true()
