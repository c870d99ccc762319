"""The community's services: what a like, comment, follow or report writes, and whom it notifies."""

import pytest

from marketplace.community.models import Comment, Follow, Like, Report
from marketplace.community.services import (
    comment_create,
    comment_delete,
    follow_toggle,
    like_toggle,
    report_create,
    report_target,
)
from marketplace.core.exceptions import NotAllowed, ServiceError
from marketplace.core.testing import public_image, run_in_threads
from marketplace.generations.models import Generation
from marketplace.notifications.models import Notification


@pytest.fixture
def image(make_generation, user):
    return public_image(make_generation, user=user, prompt="heron at dusk")


@pytest.fixture
def fan(make_user):
    return make_user(username="noor", display_name="Noor")


def notices(recipient, kind):
    return list(Notification.objects.filter(recipient=recipient, kind=kind))


# --- likes -------------------------------------------------------------------------------------------


def test_like_creates_a_like_and_notifies_the_image_owner(image, fan, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert like_toggle(user=fan, generation_id=image.pk) == (True, 1)

    assert Like.objects.filter(user=fan, generation=image).exists()
    [notice] = notices(user, Notification.Kind.LIKE)
    assert notice.actor == fan
    assert notice.message == "Noor liked your image “heron at dusk”."
    assert notice.link == image.get_absolute_url()


def test_like_toggles_off_and_on(image, fan):
    assert like_toggle(user=fan, generation_id=image.pk) == (True, 1)
    assert like_toggle(user=fan, generation_id=image.pk) == (False, 0)
    assert like_toggle(user=fan, generation_id=image.pk) == (True, 1)


def test_asking_for_a_like_twice_makes_one_like(image, fan):
    assert like_toggle(user=fan, generation_id=image.pk, like=True) == (True, 1)
    assert like_toggle(user=fan, generation_id=image.pk, like=True) == (True, 1)
    assert like_toggle(user=fan, generation_id=image.pk, like=False) == (False, 0)
    assert like_toggle(user=fan, generation_id=image.pk, like=False) == (False, 0)
    assert Like.objects.count() == 0


def test_like_unlike_like_notifies_once(image, fan, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            like_toggle(user=fan, generation_id=image.pk)

    assert len(notices(user, Notification.Kind.LIKE)) == 1


def test_likes_by_several_people_pile_up_in_one_notice(image, make_user, user, django_capture_on_commit_callbacks):
    fans = [make_user(display_name=name) for name in ("Noor", "Sam", "Kenji", "Ama")]
    with django_capture_on_commit_callbacks(execute=True):
        for person in fans:
            like_toggle(user=person, generation_id=image.pk)

    [notice] = notices(user, Notification.Kind.LIKE)
    assert notice.actor_count == 4 and notice.actor == fans[-1]
    assert notice.message == "Ama and 3 others liked your image “heron at dusk”."


def test_liking_your_own_image_notifies_nobody(image, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert like_toggle(user=user, generation_id=image.pk) == (True, 1)
    assert Notification.objects.count() == 0


def test_private_and_unfinished_images_cannot_be_liked_by_others(make_generation, fan):
    private = public_image(make_generation, visibility=Generation.Visibility.PRIVATE)
    queued = make_generation(status=Generation.Status.QUEUED)
    for image in (private, queued):
        with pytest.raises(Generation.DoesNotExist):
            like_toggle(user=fan, generation_id=image.pk)
    assert Like.objects.count() == 0


def test_a_rolled_back_like_notifies_nobody(image, fan, user, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        like_toggle(user=fan, generation_id=image.pk)
        raise RuntimeError("the request failed later")
    assert Like.objects.count() == 0 and Notification.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_likes_by_one_person_make_one_like_and_one_notice(postgres, make_generation, make_user):
    owner, fan = make_user(), make_user(display_name="Noor")
    image = public_image(make_generation, user=owner)

    results = run_in_threads(lambda _: like_toggle(user=fan, generation_id=image.pk, like=True), 2)

    assert results == [(True, 1), (True, 1)]
    assert Like.objects.filter(user=fan, generation=image).count() == 1
    assert Notification.objects.filter(recipient=owner, kind=Notification.Kind.LIKE).count() == 1


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_likes_by_ten_people_are_all_counted(postgres, make_generation, make_user):
    owner = make_user()
    image = public_image(make_generation, user=owner)
    fans = [make_user() for _ in range(10)]

    run_in_threads(lambda i: like_toggle(user=fans[i], generation_id=image.pk, like=True), 10)

    assert Like.objects.filter(generation=image).count() == 10
    [notice] = Notification.objects.filter(recipient=owner, kind=Notification.Kind.LIKE)
    assert notice.actor_count == 10


# --- comments ----------------------------------------------------------------------------------------


def test_comment_is_saved_trimmed_and_notifies_the_image_owner(image, fan, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        comment = comment_create(user=fan, generation_id=image.pk, body="  Lovely light!  ")

    assert comment.body == "Lovely light!" and comment.user == fan and comment.generation == image
    [notice] = notices(user, Notification.Kind.COMMENT)
    assert notice.message == "Noor commented on your image “heron at dusk”."
    assert notice.link == f"{image.get_absolute_url()}#comment-{comment.pk}"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write something before posting."),
        ("   \n\t ", "Write something before posting."),
        ("x" * 501, "A comment can be at most 500 characters; this one has 501."),
    ],
)
def test_bad_comments_are_refused_with_a_reason(image, fan, body, message):
    with pytest.raises(ServiceError) as refused:
        comment_create(user=fan, generation_id=image.pk, body=body)
    assert refused.value.message == message
    assert Comment.objects.count() == 0


def test_a_comment_of_exactly_500_characters_is_fine(image, fan):
    assert len(comment_create(user=fan, generation_id=image.pk, body="x" * 500).body) == 500


def test_commenting_on_your_own_image_notifies_nobody(image, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(user=user, generation_id=image.pk, body="Thanks all")
    assert Notification.objects.count() == 0


def test_comments_cannot_reach_private_images_of_others(make_generation, fan):
    private = public_image(make_generation, visibility=Generation.Visibility.PRIVATE)
    with pytest.raises(Generation.DoesNotExist):
        comment_create(user=fan, generation_id=private.pk, body="hello")


def test_author_and_staff_delete_comments_others_may_not(image, fan, make_user):
    mine = comment_create(user=fan, generation_id=image.pk, body="first")
    theirs = comment_create(user=fan, generation_id=image.pk, body="second")
    stranger, staff = make_user(), make_user(is_staff=True)

    with pytest.raises(NotAllowed):
        comment_delete(user=stranger, comment_id=mine.pk)
    comment_delete(user=fan, comment_id=mine.pk)
    comment_delete(user=staff, comment_id=theirs.pk)

    assert Comment.objects.count() == 0


# --- follows -----------------------------------------------------------------------------------------


def test_follow_toggles_and_notifies_once(artist, fan, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert follow_toggle(follower=fan, following_id=artist.pk) == (True, 1)
        assert follow_toggle(follower=fan, following_id=artist.pk) == (False, 0)
        assert follow_toggle(follower=fan, following_id=artist.pk) == (True, 1)

    [notice] = notices(artist, Notification.Kind.FOLLOW)
    assert notice.message == "Noor started following you." and notice.link == fan.get_absolute_url()


def test_nobody_follows_themselves(artist):
    with pytest.raises(ServiceError, match="You cannot follow yourself."):
        follow_toggle(follower=artist, following_id=artist.pk)
    assert Follow.objects.count() == 0 and Notification.objects.count() == 0


def test_inactive_people_cannot_be_followed(make_user, fan):
    gone = make_user(is_active=False)
    with pytest.raises(type(gone).DoesNotExist):
        follow_toggle(follower=fan, following_id=gone.pk)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_follows_make_one_follow_and_one_notice(postgres, make_user):
    artist, fan = make_user(), make_user()

    results = run_in_threads(lambda _: follow_toggle(follower=fan, following_id=artist.pk, follow=True), 2)

    assert results == [(True, 1), (True, 1)]
    assert Follow.objects.count() == 1
    assert Notification.objects.filter(recipient=artist, kind=Notification.Kind.FOLLOW).count() == 1


# --- reports -----------------------------------------------------------------------------------------


def test_one_open_report_per_person_and_object(image, fan):
    first = report_create(reporter=fan, target=image, reason=Report.Reason.SPAM)
    again = report_create(reporter=fan, target=image, reason=Report.Reason.OTHER, note="still spam")
    assert again.pk == first.pk and Report.objects.count() == 1


def test_reports_need_a_known_reason_and_not_your_own_work(image, user, fan):
    with pytest.raises(ServiceError, match="Choose why"):
        report_create(reporter=fan, target=image, reason="boring")
    with pytest.raises(ServiceError, match="your own work"):
        report_create(reporter=user, target=image, reason=Report.Reason.SPAM)
    assert Report.objects.count() == 0


def test_report_target_only_finds_what_the_reporter_can_see(make_generation, fan):
    private = public_image(make_generation, visibility=Generation.Visibility.PRIVATE)
    with pytest.raises(Generation.DoesNotExist):
        report_target(user=fan, model_name="generation", object_id=private.pk)
    with pytest.raises(Generation.DoesNotExist):
        report_target(user=fan, model_name="user", object_id=fan.pk)
