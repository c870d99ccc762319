"""The Report page for images, comments and styles: what is reported, the reason and note, one open
report per person and object, and who may report what."""

import pytest
from django.test import Client
from django.urls import reverse

from marketplace.community.models import Report
from marketplace.community.moderation import moderation_dismiss, moderation_hide
from marketplace.community.services import report_create
from marketplace.community.tests.rows import add_comment
from marketplace.core.testing import public_image, run_in_threads

HTMX = {"HTTP_HX_REQUEST": "true"}
ALREADY = "You have already reported this; the moderators will look at it."
THANKS = "Thank you. The moderators will look at your report."


@pytest.fixture
def owner(make_user):
    return make_user(username="lena", display_name="Lena")


@pytest.fixture
def image(make_generation, owner, style):
    return public_image(make_generation, user=owner, style=style, prompt="heron at dusk")


@pytest.fixture
def comment(image, owner):
    return add_comment(user=owner, generation=image, body="follow me for free tokens at spam.example")


@pytest.fixture
def fan(make_user, client):
    fan = make_user(username="noor", display_name="Noor")
    client.force_login(fan)
    return fan


@pytest.fixture
def targets(image, comment, style):
    return {"generation": image, "comment": comment, "style": style}


def report_url(model, pk):
    return reverse("community:report", args=[model, pk])


def home_of(model, target):
    if model == "comment":
        return f"{target.generation.get_absolute_url()}#comment-{target.pk}"
    return target.get_absolute_url()


@pytest.mark.parametrize(("model", "shown"), [
    ("generation", "heron at dusk"), ("comment", "follow me for free tokens"), ("style", "Ink Wash"),
])
def test_the_page_shows_what_is_reported_and_asks_why(client, fan, targets, model, shown):
    response = client.get(report_url(model, targets[model].pk))

    assert response.status_code == 200
    html = response.content.decode()
    reported = html[html.index('data-testid="reported-object"'):html.index('id="report-form"')]
    assert shown in reported and home_of(model, targets[model]) in reported
    for value in Report.Reason.values:
        assert f'type="radio" name="reason" value="{value}"' in html
    assert "checked" not in html  # nothing preselected: the reporter says why
    assert 'name="note"' in html and 'maxlength="500"' in html
    assert "<html" in html


def test_the_htmx_fragment_is_only_the_form(client, fan, image):
    response = client.get(report_url("generation", image.pk), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and html.strip().startswith('<div id="report-form"')
    assert "<html" not in html and 'name="reason"' in html


@pytest.mark.parametrize("model", ["generation", "comment", "style"])
def test_reporting_thanks_you_and_goes_back_to_the_object(client, fan, targets, model):
    target = targets[model]

    response = client.post(report_url(model, target.pk), {"reason": "stolen", "note": "  it is Ama's painting  "})

    assert response.status_code == 302 and response["Location"] == home_of(model, target)
    [report] = Report.objects.all()
    assert (report.reporter, report.target, report.reason, report.note, report.status) == (
        fan, target, Report.Reason.STOLEN, "it is Ama's painting", Report.Status.OPEN
    )
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == [THANKS]


def test_reporting_with_htmx_confirms_in_place(client, fan, image):
    response = client.post(report_url("generation", image.pk), {"reason": "spam"}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="report-done"' in html and THANKS in html
    assert "<html" not in html and 'name="reason"' not in html
    assert Report.objects.filter(reporter=fan, reason="spam").count() == 1


def test_a_reason_is_required(client, fan, image):
    for headers in ({}, HTMX):
        response = client.post(report_url("generation", image.pk), {"note": "bad"}, **headers)
        assert response.status_code == 422
        assert "Choose why you are reporting this." in response.content.decode()
    assert not Report.objects.exists()


def test_an_unknown_reason_is_refused(client, fan, image):
    response = client.post(report_url("generation", image.pk), {"reason": "boring"})
    assert response.status_code == 422 and "Select a valid choice" in response.content.decode()
    assert not Report.objects.exists()


def test_the_note_is_at_most_500_characters(client, fan, image):
    response = client.post(report_url("generation", image.pk), {"reason": "other", "note": "x" * 501})

    assert response.status_code == 422
    assert "Keep the note to 500 characters; this one has 501." in response.content.decode()
    assert not Report.objects.exists()
    assert client.post(report_url("generation", image.pk), {"reason": "other", "note": "x" * 500}).status_code == 302


def test_reporting_again_while_open_says_so(client, fan, image):
    client.post(report_url("generation", image.pk), {"reason": "spam"})

    page = client.get(report_url("generation", image.pk)).content.decode()
    assert ALREADY in page and 'name="reason"' not in page
    again = client.post(report_url("generation", image.pk), {"reason": "explicit"})
    assert again.status_code == 302 and [str(m) for m in again.wsgi_request._messages] == [ALREADY]
    fragment = client.post(report_url("generation", image.pk), {"reason": "explicit"}, **HTMX)
    assert 'data-testid="report-already"' in fragment.content.decode()
    [report] = Report.objects.all()
    assert report.reason == Report.Reason.SPAM


def test_someone_else_can_report_the_same_object(client, fan, image, make_user):
    report_create(reporter=make_user(), target=image, reason="spam")
    assert client.post(report_url("generation", image.pk), {"reason": "spam"}).status_code == 302
    assert Report.objects.filter(status=Report.Status.OPEN).count() == 2


def test_reporting_again_after_a_dismissal_is_allowed(client, fan, image, make_user):
    client.post(report_url("generation", image.pk), {"reason": "spam"})
    moderation_dismiss(moderator=make_user(is_staff=True), target=image, reason="Not spam")

    page = client.get(report_url("generation", image.pk)).content.decode()
    assert ALREADY not in page and 'name="reason"' in page
    assert client.post(report_url("generation", image.pk), {"reason": "stolen"}).status_code == 302
    assert list(Report.objects.order_by("id").values_list("status", flat=True)) == ["dismissed", "open"]


@pytest.mark.parametrize("model", ["generation", "comment", "style"])
def test_you_cannot_report_your_own_work(client, targets, model, owner, artist):
    target = targets[model]
    client.force_login(artist if model == "style" else owner)

    page = client.get(report_url(model, target.pk))
    assert "You cannot report your own work." in page.content.decode() and 'name="reason"' not in page.content.decode()
    response = client.post(report_url(model, target.pk), {"reason": "spam"})

    assert response.status_code == 422 and "You cannot report your own work." in response.content.decode()
    assert not Report.objects.exists()


def test_anonymous_visitors_are_asked_to_log_in(client, image):
    for response in (client.get(report_url("generation", image.pk)),
                     client.post(report_url("generation", image.pk), {"reason": "spam"})):
        assert response.status_code == 302 and reverse("account_login") in response["Location"]
    assert not Report.objects.exists()


def test_what_you_cannot_see_cannot_be_reported(client, fan, make_generation, owner, image, make_user, style):
    private = public_image(make_generation, user=owner, visibility="private")
    on_private = add_comment(user=owner, generation=private, body="secret")
    hidden = add_comment(user=owner, generation=image, body="hidden")
    moderation_hide(moderator=make_user(is_staff=True), target=hidden, reason="Spam")
    cases = [("generation", private.pk), ("comment", on_private.pk), ("comment", hidden.pk),
             ("generation", image.pk + 1000), ("user", fan.pk), ("style", style.pk + 1000)]
    for model, pk in cases:
        assert client.get(report_url(model, pk)).status_code == 404, model
        assert client.post(report_url(model, pk), {"reason": "spam"}).status_code == 404, model
    assert not Report.objects.exists()


def test_the_style_page_has_a_report_link_for_other_signed_in_people(client, style, artist, make_user):
    link = f'href="{report_url("style", style.pk)}"'
    assert link not in client.get(style.get_absolute_url()).content.decode()  # anonymous
    client.force_login(artist)
    assert link not in client.get(style.get_absolute_url()).content.decode()  # its artist
    client.force_login(make_user())
    assert link in client.get(style.get_absolute_url()).content.decode()


@pytest.mark.django_db(transaction=True)
def test_five_concurrent_reports_by_one_person_make_one_open_report(postgres, make_generation, make_user):
    owner, fan = make_user(), make_user()
    image = public_image(make_generation, user=owner)

    reports = run_in_threads(lambda _: report_create(reporter=fan, target=image, reason="spam"), 5)

    assert len({report.pk for report in reports}) == 1
    assert Report.objects.filter(reporter=fan, status=Report.Status.OPEN).count() == 1


@pytest.mark.django_db(transaction=True)
def test_five_concurrent_report_posts_make_one_open_report(postgres, make_generation, make_user):
    owner, fan = make_user(), make_user()
    image = public_image(make_generation, user=owner)

    def post(_):
        browser = Client()
        browser.force_login(fan)
        return browser.post(report_url("generation", image.pk), {"reason": "spam"}).status_code

    assert run_in_threads(post, 5) == [302] * 5
    assert Report.objects.filter(reporter=fan, status=Report.Status.OPEN).count() == 1
