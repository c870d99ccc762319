import json
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import translation

from marketplace.core.pagination import encode_cursor
from marketplace.core.testing import public_image
from marketplace.notifications.models import EMAIL_KINDS, SETTABLE_KINDS, Notification, NotificationSetting
from marketplace.notifications.services import notification_create

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
Kind = Notification.Kind


def notify(recipient, message="Your style finished training", link="/styles/ink/", **fields):
    return notification_create(recipient=recipient, kind=Kind.TRAINING_COMPLETE, message=message, link=link, **fields)


# --- the list -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["notifications:list", "notifications:bell", "notifications:settings"],
)
def test_pages_send_anonymous_visitors_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_signed_out_bell_poll_swaps_nothing(client):
    response = client.get(reverse("notifications:bell"), headers=HTMX)
    assert response.status_code == 204 and response.content == b""


def test_opening_requires_login(client, user):
    notice = notify(user)
    response = client.get(reverse("notifications:open", kwargs={"pk": notice.pk}))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    notice.refresh_from_db()
    assert not notice.is_read


def test_list_shows_own_notifications_newest_first(client, user, make_user):
    notify(user, message="Older news")
    newer = notify(user, message="Newer news", link="/generations/7/")
    Notification.objects.filter(pk=notify(user, message="Read already").pk).update(is_read=True)
    notify(make_user(), message="Not for Ada")

    client.force_login(user)
    body = client.get(reverse("notifications:list")).content.decode()
    assert "Not for Ada" not in body
    assert body.index("Read already") < body.index("Newer news") < body.index("Older news")
    open_url = reverse("notifications:open", kwargs={"pk": newer.pk})
    assert f'<a href="{open_url}" data-testid="notification-link">Newer news</a>' in body
    # unread is marked for the eye (class, "New") and for screen readers ("Unread:")
    assert body.count('class="unread"') == 2
    assert body.count('<span class="visually-hidden">Unread:</span>') == 2
    assert reverse("notifications:mark-read", kwargs={"pk": newer.pk}) in body
    assert "Mark all as read" in body
    assert reverse("notifications:settings") in body


def test_grouped_notice_shows_its_message_the_actors_avatar_and_when(client, user, make_user, make_generation):
    image = public_image(make_generation, user=user, prompt="Harbour at dawn")
    for name in ("Sam", "Lee", "Noor"):
        notification_create(
            recipient=user, actor=make_user(display_name=name), kind=Kind.LIKE, subject="Harbour at dawn",
            link=image.get_absolute_url(), group_key=f"like:{image.pk}",
        )
    client.force_login(user)
    body = client.get(reverse("notifications:list")).content.decode()
    assert body.count('data-testid="notification"') == 1
    assert "Noor and 2 others liked your image “Harbour at dawn”." in body
    assert '<span class="avatar avatar-initial" aria-hidden="true">N</span>' in body
    assert "\">now</time>" in body  # naturaltime: it just happened


def test_what_atelier_itself_says_has_a_mark_for_done_or_failed_where_an_avatar_would_be(client, user):
    notify(user, message="Ink is ready.")
    notification_create(recipient=user, kind=Kind.TRAINING_FAILED, message="Ink failed.", link="/studio/")
    client.force_login(user)
    body = client.get(reverse("notifications:list")).content.decode()
    assert '<span class="notification-avatar notification-from-atelier" aria-hidden="true">✓</span>' in body
    assert '<span class="notification-avatar notification-from-atelier is-failure" aria-hidden="true">!</span>' in body


def test_list_paginates_by_20(client, user):
    for n in range(23):
        notify(user, message=f"Item {n}.")
    client.force_login(user)
    first = client.get(reverse("notifications:list")).content.decode()
    assert first.count('data-testid="notification"') == 20
    assert "Page 1 of" not in first and "Back to the newest" not in first  # no count, no way back from the top
    assert "Item 22." in first and "Item 2." not in first
    cursor = re.search(r'href="\?cursor=([\w-]+)"[^>]*rel="next"', first).group(1)
    second = client.get(reverse("notifications:list"), {"cursor": cursor}).content.decode()
    assert second.count('data-testid="notification"') == 3
    assert "Item 0." in second and "Item 3." not in second
    assert 'rel="next"' not in second and "Back to the newest notifications" in second
    # A change on this page redraws this page: the forms carry its cursor.
    assert f'<input type="hidden" name="cursor" value="{cursor}">' in second


def test_list_fragment_for_htmx_is_the_section_alone(client, user):
    notify(user, message="Fresh")
    client.force_login(user)
    response = client.get(reverse("notifications:list"), headers=HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="notification-list">')
    assert "<html" not in body and "Fresh" in body


def test_list_empty_state(client, user):
    client.force_login(user)
    body = client.get(reverse("notifications:list")).content.decode()
    assert 'data-testid="notifications-empty"' in body
    assert "Nothing here yet." in body
    assert "Mark all as read" not in body


def test_list_queries_do_not_grow_with_notifications(client, user, make_user, django_assert_max_num_queries):
    client.force_login(user)
    counts = []
    for total in (5, 50):
        while user.notifications.count() < total:
            notification_create(recipient=user, actor=make_user(), kind=Kind.FOLLOW, link="/", group_key=None,
                                message="Someone follows you")
        # session, user, page count, page rows with their actors, unread count (the bell and the mark-all button)
        with django_assert_max_num_queries(5) as captured:
            assert client.get(reverse("notifications:list")).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


# --- opening one --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_opening_marks_read_and_goes_to_its_page(client, user, method):
    notice = notify(user, link="/generations/7/#comment-3")
    other = notify(user)
    client.force_login(user)
    response = getattr(client, method)(reverse("notifications:open", kwargs={"pk": notice.pk}))
    assert response.status_code == 302
    assert response["Location"] == "/generations/7/#comment-3"
    notice.refresh_from_db()
    other.refresh_from_db()
    assert notice.is_read and not other.is_read


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/path", "javascript:alert(1)", ""])
def test_opening_never_leaves_the_site(client, user, link):
    notice = notify(user, link=link)
    client.force_login(user)
    response = client.get(reverse("notifications:open", kwargs={"pk": notice.pk}))
    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:list")
    notice.refresh_from_db()
    assert notice.is_read


def test_opening_someone_elses_notification_is_404(client, user, make_user):
    theirs = notify(make_user())
    client.force_login(user)
    for method in (client.get, client.post):
        assert method(reverse("notifications:open", kwargs={"pk": theirs.pk})).status_code == 404
    assert client.get(reverse("notifications:open", kwargs={"pk": theirs.pk + 100})).status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_read


# --- marking read -------------------------------------------------------------------------------------------------


def test_htmx_mark_all_returns_fragment_and_event(client, user):
    notify(user)
    notify(user)
    client.force_login(user)
    response = client.post(reverse("notifications:mark-all-read"), {"cursor": ""}, headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="notification-list">')
    assert "<html" not in body
    assert 'class="unread"' not in body
    assert "Mark all as read" not in body
    assert "notificationsChanged" in json.loads(response["HX-Trigger"])
    assert not user.notifications.filter(is_read=False).exists()


def test_plain_mark_all_redirects_back(client, user):
    notify(user)
    client.force_login(user)
    cursor = encode_cursor(notify(user))
    response = client.post(reverse("notifications:mark-all-read"), {"cursor": cursor})
    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:list") + f"?cursor={cursor}"
    # A cursor that does not decode is the first page: back to the plain list.
    response = client.post(reverse("notifications:mark-all-read"), {"cursor": "not a cursor"})
    assert response["Location"] == reverse("notifications:list")
    assert not user.notifications.filter(is_read=False).exists()


def test_mark_all_is_post_only(client, user):
    client.force_login(user)
    assert client.get(reverse("notifications:mark-all-read")).status_code == 405


def test_mark_one_read(client, user):
    first = notify(user, message="First")
    second = notify(user, message="Second")
    client.force_login(user)
    response = client.post(reverse("notifications:mark-read", kwargs={"pk": first.pk}), headers=HTMX)
    assert response.status_code == 200
    assert "notificationsChanged" in json.loads(response["HX-Trigger"])
    assert response.content.decode().count('class="unread"') == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.is_read and not second.is_read


def test_mark_one_read_without_htmx_redirects_to_the_list(client, user):
    notice = notify(user)
    client.force_login(user)
    response = client.post(reverse("notifications:mark-read", kwargs={"pk": notice.pk}))
    assert response.status_code == 302 and response["Location"] == reverse("notifications:list")
    notice.refresh_from_db()
    assert notice.is_read


def test_marking_someone_elses_notification_is_404(client, user, make_user):
    theirs = notify(make_user())
    client.force_login(user)
    for headers in ({}, HTMX):
        response = client.post(reverse("notifications:mark-read", kwargs={"pk": theirs.pk}), headers=headers)
        assert response.status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_read


# --- the bell -----------------------------------------------------------------------------------------------------


def test_bell_fragment_shows_unread_count(client, user):
    for _ in range(4):
        notify(user)
    Notification.objects.filter(pk=notify(user).pk).update(is_read=True)
    client.force_login(user)
    response = client.get(reverse("notifications:bell"), headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<a id="notification-bell"')
    assert "<html" not in body
    assert 'data-testid="unread-count">4<' in body
    assert 'aria-label="4 unread notifications"' in body
    assert 'hx-trigger="every 30s, notificationsChanged from:body"' in body


def test_bell_costs_one_count_query_and_is_never_cached(client, user, django_assert_num_queries):
    for _ in range(30):
        notify(user)
    client.force_login(user)
    # the user (the session comes from the cache: SESSION_ENGINE cached_db), then the one COUNT
    with django_assert_num_queries(2) as captured:
        response = client.get(reverse("notifications:bell"), headers=HTMX)
    assert 'data-testid="unread-count">30<' in response.content.decode()
    assert "COUNT(" in captured.captured_queries[-1]["sql"].upper()
    assert "no-cache" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]


def test_bell_fragment_without_unread_has_no_badge(client, user):
    client.force_login(user)
    body = client.get(reverse("notifications:bell"), headers=HTMX).content.decode()
    assert 'data-testid="unread-count"' not in body
    assert 'aria-label="0 unread notifications"' in body


def test_pages_show_the_bell_with_the_count(client, user):
    notify(user)
    notify(user)
    client.force_login(user)
    body = client.get(reverse("accounts:profile")).content.decode()
    assert 'data-testid="unread-count">2<' in body


def test_bell_count_works_with_arithmetic_plural_rules(client, user):
    # Polish picks its plural form with n % 10: the count must be a real number.
    for _ in range(3):
        notify(user)
    client.force_login(user)
    with translation.override("pl"):
        body = client.get(reverse("notifications:bell")).content.decode()
    assert 'data-testid="unread-count">3<' in body


def test_unread_count_is_zero_for_anonymous_visitors(rf):
    from marketplace.notifications.context_processors import unread_notifications

    request = rf.get("/")
    request.user = AnonymousUser()
    assert unread_notifications(request) == {"unread_notifications": 0}


# --- settings -----------------------------------------------------------------------------------------------------


def settings_post(in_app=SETTABLE_KINDS, email=()):
    data = {f"{kind}_in_app": "on" for kind in in_app}
    data.update({f"{kind}_email": "on" for kind in email})
    return data


def test_settings_page_lists_every_kind_with_email_only_where_it_can_be_sent(client, user):
    client.force_login(user)
    response = client.get(reverse("notifications:settings"))
    assert response.status_code == 200
    body = response.content.decode()
    for kind in SETTABLE_KINDS:
        assert f'name="{kind}_in_app"' in body
        assert (f'name="{kind}_email"' in body) == (kind in EMAIL_KINDS)
    assert 'name="system_in_app"' not in body  # announcements always arrive
    assert str(Kind.LIKE.label) in body
    assert body.count(" checked") == len(SETTABLE_KINDS)  # the defaults: everything in the app, no email
    assert 'data-testid="no-email"' not in body


def test_settings_page_says_email_needs_an_address(client, make_user):
    person = make_user(email="")
    client.force_login(person)
    body = client.get(reverse("notifications:settings")).content.decode()
    assert 'data-testid="no-email"' in body
    assert "Emails need an email address on your account." in body
    assert reverse("account_email") in body
    assert body.count(" disabled") == len(EMAIL_KINDS)


def test_settings_are_linked_from_the_profile_pages(client, user):
    client.force_login(user)
    for name in ("accounts:profile", "accounts:profile-edit"):
        assert reverse("notifications:settings") in client.get(reverse(name)).content.decode()


def test_plain_settings_post_saves_and_redirects_with_a_message(client, user):
    client.force_login(user)
    data = settings_post(in_app=[k for k in SETTABLE_KINDS if k != Kind.LIKE], email=[Kind.TRAINING_COMPLETE])
    response = client.post(reverse("notifications:settings"), data, follow=True)
    assert response.redirect_chain == [(reverse("notifications:settings"), 302)]
    assert "Saved." in response.content.decode()
    like = NotificationSetting.objects.get(user=user, kind=Kind.LIKE)
    assert (like.in_app, like.email) == (False, False)
    training = NotificationSetting.objects.get(user=user, kind=Kind.TRAINING_COMPLETE)
    assert (training.in_app, training.email) == (True, True)
    # the page now shows what was saved
    body = response.content.decode()
    assert 'name="like_in_app" id="id_like_in_app" aria-label' in body
    assert 'name="training_complete_email" id="id_training_complete_email" checked' in body


def test_htmx_settings_post_returns_the_form_with_saved(client, user):
    client.force_login(user)
    response = client.post(reverse("notifications:settings"), settings_post(in_app=[Kind.FOLLOW]), headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="settings-form">')
    assert "<html" not in body
    assert 'data-testid="settings-saved">Saved<' in body
    assert body.count(" checked") == 1
    kept = dict(NotificationSetting.objects.filter(user=user).values_list("kind", "in_app"))
    assert kept == {kind: kind == Kind.FOLLOW for kind in SETTABLE_KINDS}


def test_htmx_settings_get_is_the_fragment_without_saved(client, user):
    client.force_login(user)
    body = client.get(reverse("notifications:settings"), headers=HTMX).content.decode()
    assert body.lstrip().startswith('<section id="settings-form">')
    assert "settings-saved" not in body


def test_email_cannot_be_switched_on_without_an_address(client, make_user):
    person = make_user(email="")
    client.force_login(person)
    client.post(reverse("notifications:settings"), settings_post(email=[Kind.TRAINING_COMPLETE]))
    assert not NotificationSetting.objects.filter(user=person, email=True).exists()


def test_email_is_ignored_for_kinds_that_are_never_emailed(client, user):
    client.force_login(user)
    client.post(reverse("notifications:settings"), settings_post(email=[Kind.LIKE]))
    assert not NotificationSetting.objects.filter(user=user, email=True).exists()


# --- settings, end to end: what is off is not created, what is on by email is mailed -------------------------------


def test_likes_switched_off_in_settings_bring_no_notice(
    client, user, make_user, make_generation, django_capture_on_commit_callbacks,
):
    from marketplace.community.services import like_toggle

    client.force_login(user)
    client.post(reverse("notifications:settings"), settings_post(in_app=[k for k in SETTABLE_KINDS if k != Kind.LIKE]))
    image = public_image(make_generation, user=user)
    fan = make_user(display_name="Noor")
    with django_capture_on_commit_callbacks(execute=True):
        like_toggle(user=fan, generation_id=image.pk, like=True)
    assert not user.notifications.exists()
    body = client.get(reverse("notifications:list")).content.decode()
    assert 'data-testid="notifications-empty"' in body
    # comments are still on
    from marketplace.community.services import comment_create

    with django_capture_on_commit_callbacks(execute=True):
        comment_create(user=fan, generation_id=image.pk, body="Lovely")
    assert list(user.notifications.values_list("kind", flat=True)) == [Kind.COMMENT]


def test_training_results_switched_on_by_email_send_one_mail_with_the_link(
    client, artist, make_style, mailoutbox, settings, django_capture_on_commit_callbacks,
):
    from marketplace.styles.services import style_report_training, style_store_artifact

    settings.SITE_URL = "https://atelier.example"
    client.force_login(artist)
    response = client.post(
        reverse("notifications:settings"), settings_post(email=[Kind.TRAINING_COMPLETE]), headers=HTMX,
    )
    assert "Saved" in response.content.decode()
    style = make_style(name="Night Ink", training_status="pending")

    with django_capture_on_commit_callbacks(execute=True):
        style_report_training(style_id=style.pk, status="training", progress=0)
        style_store_artifact(style_id=style.pk, artifact=ContentFile(b'{"kind": "atelier-reference-signature"}'))
        style_report_training(style_id=style.pk, status="completed")

    [mail] = mailoutbox
    assert mail.to == [artist.email]
    assert f"https://atelier.example{style.get_absolute_url()}" in mail.body
    assert "Night Ink" in mail.body
    assert artist.notifications.filter(kind=Kind.TRAINING_COMPLETE).count() == 1
