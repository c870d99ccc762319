import pytest
from django.core import mail

from marketplace.core.testing import public_image, run_in_threads
from marketplace.notifications.models import EMAIL_KINDS, Notification, NotificationEvent, NotificationSetting
from marketplace.notifications.services import (
    grouped_message,
    notification_create,
    notification_create_on_commit,
    notification_mark_all_read,
    notification_mark_read,
    notification_setting,
    notification_settings_update,
)

pytestmark = pytest.mark.django_db

Kind = Notification.Kind


def like(recipient, actor, image_id=7, subject="Harbour at dawn", **fields):
    """What like_toggle asks for: grouped per image, deduped per person and image."""
    return notification_create(
        recipient=recipient, actor=actor, kind=Kind.LIKE, subject=subject, link=f"/generations/{image_id}/",
        group_key=f"like:{image_id}", dedupe_key=f"like:{actor.pk}:{image_id}", **fields,
    )


# --- plain and deduped --------------------------------------------------------------------------------------------


def test_create_without_key_always_creates(user):
    for _ in range(2):
        notification_create(recipient=user, kind=Kind.SYSTEM, message="Hello")
    assert user.notifications.count() == 2


def test_create_with_dedupe_key_is_idempotent(user, artist):
    first = notification_create(
        recipient=artist, kind=Kind.FOLLOW, message="Ada follows you", actor=user,
        link="/artists/user1/", dedupe_key="follow:1:2",
    )
    again = notification_create(
        recipient=artist, kind=Kind.FOLLOW, message="Different text", dedupe_key="follow:1:2"
    )
    assert again.pk == first.pk
    assert again.message == "Ada follows you"
    assert artist.notifications.count() == 1
    assert first.actor == user and first.link == "/artists/user1/" and not first.is_read
    # the event is what remembers it, and it points at the notice it made
    [event] = NotificationEvent.objects.all()
    assert (event.key, event.notification_id) == ("follow:1:2", first.pk)


def test_dedupe_outlives_the_notice_being_read(user, artist):
    """Like, unlike, like again after reading: still one notice (the event, not the unread row, is the memory)."""
    first = like(artist, user)
    notification_mark_read(user=artist, notification_id=first.pk)
    assert like(artist, user).pk == first.pk
    assert artist.notifications.count() == 1 and not artist.notifications.filter(is_read=False).exists()


def test_nothing_for_what_you_did_yourself(user):
    assert notification_create(recipient=user, actor=user, kind=Kind.LIKE, subject="x", group_key="like:1") is None
    assert notification_create(recipient=user, actor=user, kind=Kind.FOLLOW, message="You follow you") is None
    assert not Notification.objects.exists() and not NotificationEvent.objects.exists()


def test_on_commit_waits_for_the_commit_and_skips_yourself(user, artist, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        notification_create_on_commit(recipient=artist, actor=user, kind=Kind.FOLLOW, message="Ada follows you")
        notification_create_on_commit(recipient=user, actor=user, kind=Kind.FOLLOW, message="yourself")
        assert not Notification.objects.exists()
    assert len(callbacks) == 1
    callbacks[0]()
    assert list(Notification.objects.values_list("recipient", "message")) == [(artist.pk, "Ada follows you")]


# --- grouping -----------------------------------------------------------------------------------------------------


def test_three_likes_by_different_people_make_one_grouped_notice(artist, make_user):
    fans = [make_user(display_name=name) for name in ("Sam", "Lee", "Noor")]
    for fan in fans:
        like(artist, fan)

    [notice] = artist.notifications.all()
    assert not notice.is_read
    assert notice.actor_count == 3
    assert notice.actor == fans[-1]
    assert notice.message == "Noor and 2 others liked your image “Harbour at dawn”."
    assert notice.link == "/generations/7/"


def test_a_like_after_the_group_was_read_starts_a_new_group(artist, make_user):
    like(artist, make_user(display_name="Sam"))
    like(artist, make_user(display_name="Lee"))
    notification_mark_all_read(user=artist)

    fresh = like(artist, make_user(display_name="Noor"))

    assert artist.notifications.count() == 2
    assert (fresh.actor_count, fresh.is_read) == (1, False)
    assert fresh.message == "Noor liked your image “Harbour at dawn”."
    old = artist.notifications.get(is_read=True)
    assert old.actor_count == 2 and old.message == "Lee and 1 other liked your image “Harbour at dawn”."


def test_groups_are_per_image_and_per_recipient(artist, make_user):
    other_owner, fan = make_user(), make_user(display_name="Sam")
    like(artist, fan, image_id=1)
    like(artist, fan, image_id=2)
    like(other_owner, fan, image_id=3)
    assert artist.notifications.count() == 2 and other_owner.notifications.count() == 1


def test_a_grouped_notice_moves_back_to_the_top(artist, make_user):
    like(artist, make_user(), image_id=1)
    notification_create(recipient=artist, kind=Kind.SYSTEM, message="Announcement")
    joined = like(artist, make_user(), image_id=1)
    assert artist.notifications.first() == joined


@pytest.mark.parametrize(
    ("kind", "others", "expected"),
    [
        (Kind.LIKE, 0, "Noor liked your image “Fox”."),
        (Kind.LIKE, 1, "Noor and 1 other liked your image “Fox”."),
        (Kind.COMMENT, 3, "Noor and 3 others commented on your image “Fox”."),
        (Kind.FOLLOW, 0, "Noor started following you."),
        (Kind.FOLLOW, 2, "Noor and 2 others started following you."),
    ],
)
def test_grouped_message_wording(kind, others, expected):
    assert grouped_message(kind=kind, actor_name="Noor", others=others, subject="Fox") == expected


def test_only_piling_kinds_are_grouped():
    with pytest.raises(ValueError, match="not grouped"):
        grouped_message(kind=Kind.TRAINING_COMPLETE, actor_name="Noor", others=1)


# --- settings -----------------------------------------------------------------------------------------------------


def test_a_kind_switched_off_is_not_created(artist, make_user):
    notification_settings_update(user=artist, choices={Kind.LIKE: (False, False)})
    fan = make_user()
    assert like(artist, fan) is None
    assert not artist.notifications.exists()
    # other kinds still arrive
    assert notification_create(recipient=artist, actor=fan, kind=Kind.FOLLOW, message="follows you") is not None


def test_settings_default_to_in_app_without_email(user):
    setting = notification_setting(user, Kind.TRAINING_COMPLETE)
    assert setting.pk is None and (setting.in_app, setting.email) == (True, False)


def test_settings_update_saves_and_overwrites(user):
    notification_settings_update(user=user, choices={Kind.LIKE: (False, False), Kind.TRAINING_FAILED: (True, True)})
    notification_settings_update(user=user, choices={Kind.LIKE: (True, False)})
    saved = {s.kind: (s.in_app, s.email) for s in NotificationSetting.objects.filter(user=user)}
    assert saved == {Kind.LIKE: (True, False), Kind.TRAINING_FAILED: (True, True)}


def test_settings_update_keeps_email_for_email_kinds_only(user):
    notification_settings_update(user=user, choices={Kind.LIKE: (True, True), Kind.GENERATION_FAILED: (True, True)})
    assert notification_setting(user, Kind.LIKE).email is False
    assert notification_setting(user, Kind.GENERATION_FAILED).email is True


def test_settings_update_refuses_unknown_kinds(user):
    with pytest.raises(ValueError):
        notification_settings_update(user=user, choices={"nonsense": (True, False)})


# --- email --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(EMAIL_KINDS))
def test_email_kinds_are_mailed_after_commit_when_chosen(user, kind, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://atelier.example"
    notification_settings_update(user=user, choices={kind: (True, True)})
    with django_capture_on_commit_callbacks(execute=True):
        notification_create(recipient=user, kind=kind, message="About your job.", link="/styles/ink/")
        assert mail.outbox == []  # not before the commit
    [sent] = mail.outbox
    assert sent.to == [user.email]
    assert sent.subject == str(Kind(kind).label)
    assert "About your job." in sent.body and "https://atelier.example/styles/ink/" in sent.body
    assert "https://atelier.example/notifications/settings/" in sent.body


def test_email_can_come_without_the_in_app_notice(user, django_capture_on_commit_callbacks):
    notification_settings_update(user=user, choices={Kind.TRAINING_FAILED: (False, True)})
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_create(recipient=user, kind=Kind.TRAINING_FAILED, message="It failed.") is None
    assert len(mail.outbox) == 1 and not user.notifications.exists()


def test_no_email_unless_chosen(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification_create(recipient=user, kind=Kind.TRAINING_COMPLETE, message="Ready.")
    assert mail.outbox == [] and user.notifications.count() == 1


def test_no_email_for_other_kinds_even_if_the_row_says_so(user, make_user, django_capture_on_commit_callbacks):
    # The check constraint forbids email on other kinds; the service would not send either way.
    notification_settings_update(user=user, choices={Kind.FOLLOW: (True, True)})
    with django_capture_on_commit_callbacks(execute=True):
        notification_create(recipient=user, actor=make_user(), kind=Kind.FOLLOW, message="follows you")
    assert mail.outbox == []


def test_no_email_without_an_address(make_user, django_capture_on_commit_callbacks):
    person = make_user(email="")
    NotificationSetting.objects.create(user=person, kind=Kind.TRAINING_COMPLETE, email=True)
    with django_capture_on_commit_callbacks(execute=True):
        notification_create(recipient=person, kind=Kind.TRAINING_COMPLETE, message="Ready.")
    assert mail.outbox == [] and person.notifications.count() == 1


def test_a_failing_mail_server_does_not_break_the_caller(user, monkeypatch, django_capture_on_commit_callbacks, caplog):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("smtp is down")

    monkeypatch.setattr("marketplace.notifications.services.send_mail", refuse)
    notification_settings_update(user=user, choices={Kind.TRAINING_COMPLETE: (True, True)})
    with django_capture_on_commit_callbacks(execute=True):
        notification_create(recipient=user, kind=Kind.TRAINING_COMPLETE, message="Ready.")
    assert user.notifications.count() == 1
    assert "could not email notification" in caplog.text


# --- reading and marking ------------------------------------------------------------------------------------------


def test_mark_read_only_touches_own(user, make_user):
    other = make_user()
    mine = notification_create(recipient=user, kind=Kind.SYSTEM, message="mine")
    theirs = notification_create(recipient=other, kind=Kind.SYSTEM, message="theirs")

    assert notification_mark_read(user=user, notification_id=mine.pk).is_read
    with pytest.raises(Notification.DoesNotExist):
        notification_mark_read(user=user, notification_id=theirs.pk)
    theirs.refresh_from_db()
    assert not theirs.is_read


def test_mark_all_read_counts_and_scopes(user, make_user):
    other = make_user()
    for n in range(3):
        notification_create(recipient=user, kind=Kind.SYSTEM, message=f"n{n}")
    notification_create(recipient=other, kind=Kind.SYSTEM, message="theirs")

    assert notification_mark_all_read(user=user) == 3
    assert notification_mark_all_read(user=user) == 0
    assert not user.notifications.filter(is_read=False).exists()
    assert other.notifications.filter(is_read=False).count() == 1


# --- concurrency (PostgreSQL) -------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_people_liking_at_once_make_one_grouped_notice(postgres, make_user, make_generation):
    """All eight find no unread group and try to open one: the partial unique index lets one in,
    the other seven get IntegrityError, retry, and join it under its row lock."""
    from marketplace.community.services import like_toggle

    owner = make_user()
    image = public_image(make_generation, user=owner, prompt="Harbour at dawn")
    fans = [make_user(display_name=f"Fan {n}") for n in range(8)]

    run_in_threads(lambda i: like_toggle(user=fans[i], generation_id=image.pk, like=True), 8)

    [notice] = Notification.objects.filter(recipient=owner)
    assert not notice.is_read
    assert notice.actor_count == 8
    assert notice.message == f"{notice.actor.public_name} and 7 others liked your image “Harbour at dawn”."
    assert NotificationEvent.objects.filter(notification=notice).count() == 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_group_joins_through_the_service(postgres, make_user):
    owner = make_user()
    fans = [make_user() for _ in range(8)]

    notices = run_in_threads(lambda i: like(owner, fans[i]), 8)

    assert len({n.pk for n in notices}) == 1
    [notice] = Notification.objects.filter(recipient=owner)
    assert notice.actor_count == 8
