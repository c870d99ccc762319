import json
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from marketplace.core.testing import imagefiles
from marketplace.jobs.models import OutboxMessage
from marketplace.styles.models import Style

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def form_data(count=10, **overrides):
    data = {
        "name": "Tide Pools", "description": "Rock pools at low tide.", "tags": "Watercolor, coast",
        "price_per_generation": "4", "commercial_use": "no", "credit_required": "yes",
        "images": [imagefiles.png_upload(f"pool{i}.png") for i in range(count)],
    }
    data.update(overrides)
    return data


def test_a_member_becomes_an_artist_then_uploads(client, user):
    client.force_login(user)
    response = client.get(reverse("styles:new"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("styles:become-artist"))

    response = client.post(
        f"{reverse('styles:become-artist')}?next=/studio/new/", {"display_name": "Ada Paints", "bio": "Tides."}
    )
    assert response.status_code == 302 and response["Location"] == "/studio/new/"
    user.refresh_from_db()
    assert user.is_artist and user.display_name == "Ada Paints"


def test_become_artist_ignores_foreign_next(client, user):
    client.force_login(user)
    response = client.post(f"{reverse('styles:become-artist')}?next=https://evil.example/", {"display_name": "Ada"})
    assert response["Location"] == reverse("styles:studio")


def test_upload_page_has_licence_questions_without_a_preselected_answer(client, artist):
    client.force_login(artist)
    body = client.get(reverse("styles:new")).content.decode()
    assert body.count('type="radio"') == 4
    assert "checked" not in body
    assert 'multiple' in body and 'accept="image/jpeg,image/png"' in body


def test_upload_page_asks_for_the_pictures_first_and_keeps_every_field(client, artist):
    client.force_login(artist)
    body = client.get(reverse("styles:new")).content.decode()
    fields = ("images", "name", "description", "tags", "price_per_generation")
    order = [body.index(f'id="id_{name}"') for name in fields]
    assert order == sorted(order)
    assert body.index('name="images"') < body.index('class="upload-details"') < body.index("data-upload-submit")


def test_valid_upload_lands_on_status_page(client, artist):
    client.force_login(artist)
    response = client.post(reverse("styles:new"), form_data())
    style = Style.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("styles:status", args=[style.pk])
    assert (style.commercial_use, style.credit_required, style.price_per_generation) == (False, True, 4)
    assert style.training_images.count() == 10
    assert OutboxMessage.objects.filter(queue="model_training").count() == 1

    page = client.get(response["Location"]).content.decode()
    assert "Your training set of 10 images is uploaded." in page and "starts soon" not in page
    # The training set itself, as thumbnails, in upload order; the status poll does not carry it again.
    assert page.count('alt="Training image ') == 10 and 'data-testid="training-set"' in page
    poll = client.get(response["Location"], **HX).content.decode()
    assert 'id="training-status"' in poll and "Training image" not in poll


def test_htmx_upload_redirects_the_client(client, artist):
    client.force_login(artist)
    response = client.post(reverse("styles:new"), form_data(), **HX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("styles:status", args=[Style.objects.get().pk])


def test_licence_must_be_answered(client, artist):
    client.force_login(artist)
    data = form_data()
    del data["commercial_use"]
    response = client.post(reverse("styles:new"), data)
    assert response.status_code == 422
    assert "Choose yes or no." in response.content.decode()
    assert not Style.objects.exists()


def test_bad_file_rejects_the_set_with_its_own_message(client, artist):
    client.force_login(artist)
    data = form_data(count=10)
    data["images"].append(SimpleUploadedFile("holiday.png", imagefiles.gif(), "image/png"))
    response = client.post(reverse("styles:new"), data, **HX)
    assert response.status_code == 422
    body = response.content.decode()
    assert "<html" not in body and 'id="upload-form"' in body
    # The refused file is named for upload.js, which marks it and keeps the others chosen.
    refused = "holiday.png is a GIF image; only JPEG and PNG are accepted."
    assert f'<li data-refused-file="holiday.png">{refused}</li>' in body
    assert not Style.objects.exists() and not OutboxMessage.objects.exists()


def test_a_problem_of_the_whole_set_names_no_file(client, artist):
    client.force_login(artist)
    body = client.post(reverse("styles:new"), form_data(count=9), **HX).content.decode()
    assert "<li>A training set needs 10 to 100 images; you sent 9.</li>" in body
    assert "data-refused-file" not in body


def test_too_few_images(client, artist):
    client.force_login(artist)
    response = client.post(reverse("styles:new"), form_data(count=9))
    assert "A training set needs 10 to 100 images; you sent 9." in response.content.decode()


def test_too_many_tags(client, artist):
    client.force_login(artist)
    response = client.post(reverse("styles:new"), form_data(tags=",".join(f"t{i}" for i in range(11))))
    assert "Use at most 10 tags; you gave 11." in response.content.decode()
    assert not Style.objects.exists()


def test_status_page_shows_queue_position_and_estimate(client, artist, make_style):
    now = timezone.now()
    done = make_style(training_status="completed")
    Style.objects.filter(pk=done.pk).update(training_started_at=now - timedelta(minutes=12), trained_at=now)
    make_style(training_status="pending")
    mine = make_style(training_status="pending")
    client.force_login(artist)
    body = client.get(reverse("styles:status", args=[mine.pk])).content.decode()
    assert "Position 2 in the training queue." in body
    # one 12-minute training ahead of it
    assert re.search(r"Estimated start: 1[12]\xa0minutes from now", body)
    assert 'hx-trigger="every 2s"' in body


def test_status_fragment_polls_until_finished(client, artist, make_style):
    style = make_style(training_status="training", training_progress=40)
    client.force_login(artist)
    url = reverse("styles:status", args=[style.pk])
    response = client.get(url, **HX)
    assert response.status_code == 200
    assert "Training: 40%" in response.content.decode() and "<html" not in response.content.decode()

    Style.objects.filter(pk=style.pk).update(training_status="failed", failure_reason="Images too varied.")
    response = client.get(url, **HX)
    assert response.status_code == 286
    body = response.content.decode()
    assert "Images too varied." in body and "every 2s" not in body
    assert "notificationsChanged" in json.loads(response["HX-Trigger"])


def test_status_page_is_private(client, make_user, make_style):
    style = make_style(training_status="pending")
    client.force_login(make_user())
    assert client.get(reverse("styles:status", args=[style.pk])).status_code == 404


def test_studio_lists_statuses_and_links_unfinished_to_status(client, artist, make_style):
    make_style(name="Live one")  # an artist with a live style is past the new-artist cap
    pending = make_style(name="Waiting", training_status="pending")
    client.force_login(artist)
    body = client.get(reverse("styles:studio")).content.decode()
    assert reverse("styles:status", args=[pending.pk]) in body
    assert "Pending" in body and reverse("styles:new") in body


def test_studio_on_a_phone_is_a_card_per_style_with_the_same_facts_and_named_actions(client, artist, make_style):
    import re

    from django.utils.html import strip_tags

    style = make_style(name="Live one", price_per_generation=4)
    client.force_login(artist)
    body = client.get(reverse("styles:studio")).content.decode()

    cards = body[body.index('<ul class="studio-cards"'):body.index("</ul>", body.index('<ul class="studio-cards"'))]
    card = " ".join(strip_tags(cards).split())
    assert "Live one Completed" in card and "4 tokens per image · 0 images made · 0 tokens earned" in card
    assert f'href="{style.get_absolute_url()}"' in cards
    # Each Edit and Delete says which style it is for (a page of them would all read "Edit" otherwise).
    edit = reverse("styles:edit", args=[style.pk])
    assert re.search(rf'<a href="{edit}">Edit<span class="visually-hidden"> Live one</span></a>', cards)
    assert body.count(f'href="{edit}"') == 2  # the card and the table row: one of them shows, by width


def test_sweep_fails_a_stalled_training_once_and_late_reports_are_refused(artist, make_style, settings, client):
    from marketplace.jobs.sweeps import run_sweeps
    from marketplace.notifications.models import Notification

    settings.TRAINING_TIMEOUT_MINUTES = 30
    stalled = make_style(training_status="training")
    fresh = make_style(training_status="training")
    Style.objects.filter(pk=stalled.pk).update(training_started_at=timezone.now() - timedelta(minutes=31))
    Style.objects.filter(pk=fresh.pk).update(training_started_at=timezone.now() - timedelta(minutes=5))

    assert run_sweeps() == 1
    assert run_sweeps() == 0
    stalled.refresh_from_db()
    fresh.refresh_from_db()
    assert stalled.training_status == "failed" and "longer than 30 minutes" in stalled.failure_reason
    assert fresh.training_status == "training"
    assert Notification.objects.filter(kind="training_failed").count() == 1

    settings.INTERNAL_API_TOKEN = "t"
    late = client.patch(
        reverse("webhooks:model-status", args=[stalled.pk]), data='{"status": "completed"}',
        content_type="application/json", HTTP_AUTHORIZATION="Bearer t",
    )
    assert late.status_code == 409
