"""The moderation queue in the admin: open reports grouped by object, and hide / dismiss / restore
through the moderation services, each asked why first, recorded and told to the owner."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace.community.models import ModerationAction, Report
from marketplace.community.moderation import moderation_dismiss, moderation_hide, moderation_restore
from marketplace.community.services import report_create
from marketplace.community.tests.rows import add_comment
from marketplace.core.exceptions import NotAllowed, ServiceError
from marketplace.core.testing import public_image
from marketplace.notifications.models import Notification

QUEUE = "/admin/community/report/"


@pytest.fixture
def owner(make_user):
    return make_user(username="lena", display_name="Lena")


@pytest.fixture
def image(make_generation, owner):
    return public_image(make_generation, user=owner, prompt="heron at dusk")


@pytest.fixture
def staff(make_user):
    return make_user(username="mod", display_name="Mo", is_staff=True, is_superuser=True)


@pytest.fixture
def reporters(make_user):
    return [make_user(username=f"reporter{i}") for i in range(3)]


def moderate_url(action, model, pk):
    return reverse("admin:community_report_moderate", args=[action, model, pk])


def test_the_queue_shows_one_row_per_reported_object_newest_first(
    client, staff, image, style, make_generation, reporters, django_assert_max_num_queries
):
    report_create(reporter=reporters[0], target=image, reason=Report.Reason.SPAM)
    report_create(reporter=reporters[1], target=image, reason=Report.Reason.SPAM)
    report_create(reporter=reporters[2], target=image, reason=Report.Reason.STOLEN, note="my own drawing")
    comment = add_comment(user=reporters[0], generation=image, body="buy followers at spam.example")
    report_create(reporter=reporters[1], target=comment, reason=Report.Reason.SPAM)
    report_create(reporter=reporters[0], target=style, reason=Report.Reason.EXPLICIT)
    client.force_login(staff)

    with django_assert_max_num_queries(12):
        response = client.get(QUEUE)

    assert response.status_code == 200
    html = response.content.decode()
    names = (f"style-{style.pk}", f"comment-{comment.pk}", f"generation-{image.pk}")
    rows = [f'data-target="{name}"' for name in names]
    positions = [html.index(row) for row in rows]
    assert positions == sorted(positions)  # the most recently reported first
    assert html.count('data-testid="queue-row"') == 3
    image_row = html[positions[2]:]
    assert 'data-testid="report-count">3<' in image_row
    assert "Spam ×2, Stolen art" in image_row and "my own drawing" in image_row
    assert image.get_absolute_url() in image_row and "Visible" in image_row
    assert moderate_url("hide", "generation", image.pk) in image_row
    assert moderate_url("dismiss", "generation", image.pk) in image_row


def test_closed_reports_leave_the_queue(client, staff, image, reporters):
    report_create(reporter=reporters[0], target=image, reason=Report.Reason.SPAM)
    moderation_dismiss(moderator=staff, target=image, reason="Not spam")
    client.force_login(staff)
    html = client.get(QUEUE).content.decode()
    assert 'data-testid="queue-empty"' in html and 'data-testid="queue-row"' not in html


def test_the_queue_costs_the_same_queries_for_few_and_many_objects(
    client, staff, make_generation, owner, make_user
):
    reporter = make_user()
    client.force_login(staff)

    def queries_for(n):
        for _ in range(n):
            report_create(reporter=reporter, target=public_image(make_generation, user=owner), reason="spam")
        with CaptureQueriesContext(connection) as captured:
            assert client.get(QUEUE).status_code == 200
        return len(captured)

    assert queries_for(2) == queries_for(20)


def test_every_report_one_by_one_is_a_read_only_list(client, staff, image, reporters):
    report = report_create(reporter=reporters[0], target=image, reason=Report.Reason.SPAM)
    client.force_login(staff)

    response = client.get(QUEUE + "?view=all")

    assert response.status_code == 200 and "reporter0" in response.content.decode()
    change = client.get(reverse("admin:community_report_change", args=[report.pk]))
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    assert client.get(reverse("admin:community_report_add")).status_code == 403
    assert client.post(reverse("admin:community_report_delete", args=[report.pk]), {"post": "yes"}).status_code == 403
    assert Report.objects.filter(pk=report.pk).exists()


def test_filters_on_the_list_of_every_report_stay_on_that_list(client, staff, image, reporters):
    report_create(reporter=reporters[0], target=image, reason=Report.Reason.SPAM)
    client.force_login(staff)
    html = client.get(QUEUE, {"view": "all", "reason__exact": "spam"}).content.decode()
    assert 'id="changelist"' in html and 'data-testid="moderation-queue"' not in html
    assert "view=all" in html[html.index('id="changelist-filter"'):]


def test_selected_reports_are_hidden_after_asking_why(
    client, staff, owner, image, style, reporters, django_capture_on_commit_callbacks
):
    on_image = [report_create(reporter=r, target=image, reason=Report.Reason.SPAM) for r in reporters[:2]]
    on_style = report_create(reporter=reporters[2], target=style, reason=Report.Reason.STOLEN)
    client.force_login(staff)
    selected = {"action": "hide_reported", "_selected_action": [r.pk for r in [*on_image, on_style]], "index": 0}

    ask = client.post(QUEUE + "?view=all", selected)
    assert ask.status_code == 200
    html = ask.content.decode()
    assert "heron at dusk" in html and "Ink Wash" in html and 'name="reason"' in html
    blank = client.post(QUEUE + "?view=all", {**selected, "reason": " "})
    assert "Say why: the owner is told, and the record keeps it." in blank.content.decode()
    assert not ModerationAction.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(QUEUE + "?view=all", {**selected, "reason": "Spam wave"})

    assert done.status_code == 302
    image.refresh_from_db()
    style.refresh_from_db()
    assert image.hidden_at is not None and style.hidden_at is not None
    assert sorted(ModerationAction.objects.values_list("target_type__model", "reason")) == [
        ("generation", "Spam wave"), ("style", "Spam wave"),
    ]  # one record per object, not per report
    assert not Report.objects.filter(status=Report.Status.OPEN).exists()
    assert Notification.objects.filter(kind=Notification.Kind.MODERATION).count() == 2


def test_selected_reports_can_be_dismissed(client, staff, image, reporters):
    report = report_create(reporter=reporters[0], target=image, reason=Report.Reason.SPAM)
    client.force_login(staff)

    client.post(QUEUE + "?view=all", {"action": "dismiss_reported", "_selected_action": [report.pk], "index": 0,
                                      "reason": "Fine art"})

    image.refresh_from_db()
    assert image.hidden_at is None and Report.objects.get().status == Report.Status.DISMISSED
    assert ModerationAction.objects.get().action == ModerationAction.Action.DISMISS


def test_hiding_asks_why_first(client, staff, image, reporters):
    report_create(reporter=reporters[0], target=image, reason=Report.Reason.SPAM)
    client.force_login(staff)

    page = client.get(moderate_url("hide", "generation", image.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Yes, hide it" in html and "reporter0" in html and 'name="reason"' in html

    response = client.post(moderate_url("hide", "generation", image.pk), {"reason": "   "})

    assert response.status_code == 422
    assert "Say why: the owner is told, and the record keeps it." in response.content.decode()
    image.refresh_from_db()
    assert image.hidden_at is None and not ModerationAction.objects.exists()
    assert Report.objects.get().status == Report.Status.OPEN


def test_hiding_through_the_admin_hides_records_closes_reports_and_tells_the_owner(
    client, staff, owner, image, reporters, django_capture_on_commit_callbacks
):
    for reporter in reporters[:2]:
        report_create(reporter=reporter, target=image, reason=Report.Reason.STOLEN)
    client.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(moderate_url("hide", "generation", image.pk), {"reason": "Traced from Ama's painting"})

    assert response.status_code == 302 and response["Location"] == QUEUE
    image.refresh_from_db()
    assert image.hidden_at is not None
    [record] = ModerationAction.objects.all()
    assert (record.moderator, record.action, record.target, record.reason) == (
        staff, ModerationAction.Action.HIDE, image, "Traced from Ama's painting"
    )
    assert set(Report.objects.values_list("status", "resolved_by")) == {(Report.Status.HIDDEN, staff.pk)}
    [notice] = Notification.objects.filter(recipient=owner, kind=Notification.Kind.MODERATION)
    assert "Traced from Ama's painting" in notice.message and "heron at dusk" in notice.message
    assert notice.link == image.get_absolute_url()
    followed = client.get(response["Location"])
    assert "is hidden; its owner has been told why." in followed.content.decode()


def test_dismissing_closes_the_reports_and_leaves_the_object_alone(
    client, staff, owner, image, reporters, django_capture_on_commit_callbacks
):
    report_create(reporter=reporters[0], target=image, reason=Report.Reason.SPAM)
    client.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(moderate_url("dismiss", "generation", image.pk), {"reason": "A heron is not spam"})

    assert response.status_code == 302
    image.refresh_from_db()
    assert image.hidden_at is None
    assert Report.objects.get().status == Report.Status.DISMISSED
    [record] = ModerationAction.objects.all()
    assert record.action == ModerationAction.Action.DISMISS and record.reason == "A heron is not spam"
    assert not Notification.objects.filter(recipient=owner, kind=Notification.Kind.MODERATION).exists()


def test_restoring_a_hidden_comment_from_the_hidden_list(
    client, staff, owner, image, reporters, django_capture_on_commit_callbacks
):
    comment = add_comment(user=owner, generation=image, body="thank you all")
    moderation_hide(moderator=staff, target=comment, reason="Mistaken for spam")
    client.force_login(staff)

    hidden = client.get(reverse("admin:community_report_hidden")).content.decode()
    assert f'data-target="comment-{comment.pk}"' in hidden
    assert moderate_url("restore", "comment", comment.pk) in hidden

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(moderate_url("restore", "comment", comment.pk), {"reason": "It was a thank-you"})

    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.hidden_at is None
    assert list(ModerationAction.objects.order_by("created_at", "id").values_list("action", flat=True)) == [
        ModerationAction.Action.HIDE, ModerationAction.Action.RESTORE,
    ]
    [notice] = Notification.objects.filter(recipient=owner, kind=Notification.Kind.MODERATION)
    assert "restored" in notice.message and "It was a thank-you" in notice.message
    after = client.get(reverse("admin:community_report_hidden")).content.decode()
    assert f'data-target="comment-{comment.pk}"' not in after


def test_hiding_a_style_through_the_admin(client, staff, style, artist, reporters, django_capture_on_commit_callbacks):
    report_create(reporter=reporters[0], target=style, reason=Report.Reason.STOLEN)
    client.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(moderate_url("hide", "style", style.pk), {"reason": "Copies another artist's set"})

    style.refresh_from_db()
    assert style.hidden_at is not None
    [notice] = Notification.objects.filter(recipient=artist, kind=Notification.Kind.MODERATION)
    assert "Ink Wash" in notice.message and "Copies another artist's set" in notice.message


def test_unknown_actions_or_kinds_are_404(client, staff, image):
    client.force_login(staff)
    assert client.get(moderate_url("delete", "generation", image.pk)).status_code == 404
    assert client.get(moderate_url("hide", "user", staff.pk)).status_code == 404
    assert client.get(moderate_url("hide", "generation", image.pk + 1000)).status_code == 404


def test_people_who_are_not_staff_cannot_reach_the_queue(client, make_user, image):
    client.force_login(make_user())
    for url in (QUEUE, moderate_url("hide", "generation", image.pk)):
        response = client.get(url)
        assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    response = client.post(moderate_url("hide", "generation", image.pk), {"reason": "because"})
    assert response.status_code == 302
    image.refresh_from_db()
    assert image.hidden_at is None


def test_staff_without_the_report_permission_cannot_moderate(client, make_user, image):
    client.force_login(make_user(is_staff=True))
    assert client.get(QUEUE).status_code == 403
    assert client.post(moderate_url("hide", "generation", image.pk), {"reason": "because"}).status_code == 403
    image.refresh_from_db()
    assert image.hidden_at is None and not ModerationAction.objects.exists()


def test_the_moderation_log_is_read_only(client, staff, image):
    record = moderation_hide(moderator=staff, target=image, reason="Explicit")
    client.force_login(staff)

    log = client.get(reverse("admin:community_moderationaction_changelist"))

    html = log.content.decode()
    assert log.status_code == 200 and "Explicit" in html and "heron at dusk" in html and "mod" in html
    assert client.get(reverse("admin:community_moderationaction_add")).status_code == 403
    change = client.get(reverse("admin:community_moderationaction_change", args=[record.pk]))
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    delete = client.post(reverse("admin:community_moderationaction_delete", args=[record.pk]), {"post": "yes"})
    assert delete.status_code == 403 and ModerationAction.objects.filter(pk=record.pk).exists()


# --- the services ------------------------------------------------------------------------------------


@pytest.mark.parametrize("act", [moderation_hide, moderation_restore, moderation_dismiss])
def test_only_staff_can_moderate(act, make_user, image):
    with pytest.raises(NotAllowed):
        act(moderator=make_user(), target=image, reason="I don't like it")
    assert not ModerationAction.objects.exists()


@pytest.mark.parametrize("act", [moderation_hide, moderation_restore, moderation_dismiss])
def test_moderating_needs_a_reason(act, staff, image):
    with pytest.raises(ServiceError, match="Say why"):
        act(moderator=staff, target=image, reason="  ")
    assert not ModerationAction.objects.exists()


def test_hiding_twice_records_both_but_notifies_once(staff, owner, image, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        moderation_hide(moderator=staff, target=image, reason="Explicit")
        moderation_hide(moderator=staff, target=image, reason="Still explicit")
    assert ModerationAction.objects.filter(action=ModerationAction.Action.HIDE).count() == 2
    assert Notification.objects.filter(recipient=owner, kind=Notification.Kind.MODERATION).count() == 1


def test_restoring_reopens_nothing_and_reporting_again_is_possible(staff, image, reporters):
    report_create(reporter=reporters[0], target=image, reason=Report.Reason.SPAM)
    moderation_hide(moderator=staff, target=image, reason="Spam")
    moderation_restore(moderator=staff, target=image, reason="Appeal accepted")

    assert Report.objects.get().status == Report.Status.HIDDEN
    again = report_create(reporter=reporters[0], target=image, reason=Report.Reason.SPAM)
    assert again.status == Report.Status.OPEN and Report.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_reason_of_500_characters_still_reaches_the_owner(postgres, make_user, make_generation):
    # PostgreSQL enforces the notice's 500-character message, which the reason alone can fill.
    owner, staff = make_user(), make_user(is_staff=True)
    image = public_image(make_generation, user=owner)
    reason = "Too close to a living artist's signed series. " * 11

    moderation_hide(moderator=staff, target=image, reason=reason)

    [notice] = Notification.objects.filter(recipient=owner, kind=Notification.Kind.MODERATION)
    assert len(notice.message) == 500 and notice.message.endswith("…")
    assert ModerationAction.objects.get().reason == reason.strip()[:500]


def test_the_queue_says_when_an_image_is_hidden_with_its_style(client, staff, image, style, reporters):
    report_create(reporter=reporters[0], target=image, reason=Report.Reason.EXPLICIT)
    moderation_hide(moderator=staff, target=style, reason="Explicit training set")
    client.force_login(staff)

    html = client.get(QUEUE).content.decode()

    row = html[html.index(f'data-target="generation-{image.pk}"'):]
    assert "Hidden with its style" in row[:row.index("</tr>")]
