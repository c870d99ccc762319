import json

import pytest
from django.urls import reverse
from django.utils import translation

from marketplace.notifications.models import Notification
from marketplace.notifications.services import notification_create

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def notify(recipient, message="Your style finished training", link="/styles/ink/", **fields):
    return notification_create(
        recipient=recipient, kind=Notification.Kind.TRAINING_COMPLETE, message=message, link=link, **fields
    )


def test_list_requires_login(client):
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


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
    assert body.count('class="unread"') == 2
    assert reverse("notifications:mark-read", kwargs={"pk": newer.pk}) in body
    assert "Mark all as read" in body


def test_list_paginates_by_20(client, user):
    for n in range(23):
        notify(user, message=f"Item {n}.")
    client.force_login(user)
    first = client.get(reverse("notifications:list")).content.decode()
    assert first.count('data-testid="notification"') == 20
    assert "Page 1 of 2" in first
    second = client.get(reverse("notifications:list"), {"page": 2}).content.decode()
    assert second.count('data-testid="notification"') == 3
    assert "Item 0." in second


def test_list_empty_state(client, user):
    client.force_login(user)
    body = client.get(reverse("notifications:list")).content.decode()
    assert "Nothing here yet." in body
    assert "Mark all as read" not in body


def test_htmx_mark_all_returns_fragment_and_event(client, user):
    notify(user)
    notify(user)
    client.force_login(user)
    response = client.post(reverse("notifications:mark-all-read"), {"page": "1"}, headers=HTMX)
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
    response = client.post(reverse("notifications:mark-all-read"), {"page": "2"})
    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:list") + "?page=2"
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


def test_marking_someone_elses_notification_is_404(client, user, make_user):
    theirs = notify(make_user())
    client.force_login(user)
    for headers in ({}, HTMX):
        response = client.post(reverse("notifications:mark-read", kwargs={"pk": theirs.pk}), headers=headers)
        assert response.status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_read


def test_bell_fragment_shows_unread_count(client, user):
    for _ in range(4):
        notify(user)
    Notification.objects.filter(pk=notify(user).pk).update(is_read=True)
    client.force_login(user)
    response = client.get(reverse("notifications:bell"), headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<a id="notification-bell"')
    assert 'data-testid="unread-count">4<' in body
    assert 'aria-label="4 unread notifications"' in body


def test_bell_fragment_without_unread_has_no_badge(client, user):
    client.force_login(user)
    body = client.get(reverse("notifications:bell"), headers=HTMX).content.decode()
    assert 'data-testid="unread-count"' not in body
    assert 'aria-label="0 unread notifications"' in body


def test_list_queries_do_not_grow_with_notifications(client, user, django_assert_max_num_queries):
    client.force_login(user)
    counts = []
    for total in (5, 25):
        while user.notifications.count() < total:
            notify(user)
        # session, user, page count, page rows, unread count (shared by the bell and the mark-all button)
        with django_assert_max_num_queries(5) as captured:
            assert client.get(reverse("notifications:list")).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_bell_count_works_with_arithmetic_plural_rules(client, user):
    # Polish picks its plural form with n % 10: the count must be a real number.
    for _ in range(3):
        notify(user)
    client.force_login(user)
    with translation.override("pl"):
        body = client.get(reverse("notifications:bell")).content.decode()
    assert 'data-testid="unread-count">3<' in body
