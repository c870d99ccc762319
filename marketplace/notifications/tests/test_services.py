import pytest

from marketplace.notifications.models import Notification
from marketplace.notifications.services import (
    notification_create,
    notification_mark_all_read,
    notification_mark_read,
)

pytestmark = pytest.mark.django_db


def test_create_without_key_always_creates(user):
    for _ in range(2):
        notification_create(recipient=user, kind=Notification.Kind.SYSTEM, message="Hello")
    assert user.notifications.count() == 2


def test_create_with_dedupe_key_is_idempotent(user, artist):
    first = notification_create(
        recipient=artist, kind=Notification.Kind.FOLLOW, message="Ada follows you", actor=user,
        link="/artists/user1/", dedupe_key="follow:1:2",
    )
    again = notification_create(
        recipient=artist, kind=Notification.Kind.FOLLOW, message="Different text", dedupe_key="follow:1:2"
    )
    assert again.pk == first.pk
    assert again.message == "Ada follows you"
    assert artist.notifications.count() == 1
    assert first.actor == user and first.link == "/artists/user1/" and not first.is_read


def test_mark_read_only_touches_own(user, make_user):
    other = make_user()
    mine = notification_create(recipient=user, kind=Notification.Kind.SYSTEM, message="mine")
    theirs = notification_create(recipient=other, kind=Notification.Kind.SYSTEM, message="theirs")

    assert notification_mark_read(user=user, notification_id=mine.pk).is_read
    with pytest.raises(Notification.DoesNotExist):
        notification_mark_read(user=user, notification_id=theirs.pk)
    theirs.refresh_from_db()
    assert not theirs.is_read


def test_mark_all_read_counts_and_scopes(user, make_user):
    other = make_user()
    for n in range(3):
        notification_create(recipient=user, kind=Notification.Kind.SYSTEM, message=f"n{n}")
    notification_create(recipient=other, kind=Notification.Kind.SYSTEM, message="theirs")

    assert notification_mark_all_read(user=user) == 3
    assert notification_mark_all_read(user=user) == 0
    assert not user.notifications.filter(is_read=False).exists()
    assert other.notifications.filter(is_read=False).count() == 1
