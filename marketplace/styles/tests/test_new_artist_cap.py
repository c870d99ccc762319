"""Becoming an artist is instant, so a new artist trains one set at a time until a first style is live."""

import pytest
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace.accounts.models import AccountEvent
from marketplace.jobs.models import OutboxMessage
from marketplace.styles.models import Style, TrainingImage
from marketplace.styles.services import (
    NewArtistCapReached,
    style_check_upload_allowed,
    style_report_training,
    style_store_artifact,
)
from marketplace.styles.tests.test_studio import HX, form_data

pytestmark = pytest.mark.django_db

CAP_MESSAGE = "New artists train one style at a time until their first style is live."


def upload(client, name="Tide Pools", **meta):
    return client.post(reverse("styles:new"), form_data(name=name), **meta)


def test_becoming_an_artist_is_instant_and_recorded_with_who_and_where(client, user):
    client.force_login(user)
    response = client.post(reverse("styles:become-artist"), {"display_name": "Ada Paints"}, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_artist
    [event] = AccountEvent.objects.filter(user=user)
    assert event.kind == AccountEvent.Kind.BECAME_ARTIST
    assert (event.detail, event.ip_address) == ("Ada Paints", "203.0.113.5")

    # Saving the form again (already an artist) changes the profile but is not a second event.
    client.post(reverse("styles:become-artist"), {"display_name": "Ada P."})
    assert AccountEvent.objects.filter(user=user).count() == 1


def test_a_new_artist_has_one_set_in_training_at_a_time(client, artist, mailoutbox):
    client.force_login(artist)
    assert upload(client).status_code == 302
    first = Style.objects.get()

    response = upload(client, name="Second Set")
    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-testid="upload-problems"' in body
    assert CAP_MESSAGE in body
    assert "“Tide Pools” is still being trained" in body
    assert "as soon as it is ready, or if its training fails" in body
    # Nothing of the refused set was kept.
    assert list(Style.objects.all()) == [first]
    assert TrainingImage.objects.count() == 10
    assert OutboxMessage.objects.filter(queue="model_training").count() == 1
    [event] = AccountEvent.objects.filter(user=artist, kind=AccountEvent.Kind.UPLOAD_CAPPED)
    assert event.detail == f"waiting for style {first.pk} (Pending)"


def test_the_htmx_upload_is_refused_in_place(client, artist):
    client.force_login(artist)
    upload(client)
    response = upload(client, name="Second Set", **HX)
    assert response.status_code == 422
    body = response.content.decode()
    assert body.lstrip().startswith('<form id="upload-form"')
    assert CAP_MESSAGE in body


def test_studio_and_upload_page_say_why_and_when(client, artist, make_style):
    waiting = make_style(name="Night Ferry", training_status=Style.Status.TRAINING)
    client.force_login(artist)
    for url in (reverse("styles:studio"), reverse("styles:new")):
        body = client.get(url).content.decode()
        assert 'data-testid="upload-cap"' in body
        assert "“Night Ferry” is still being trained" in body
        assert reverse("styles:status", args=[waiting.pk]) in body
    assert 'href="/studio/new/" role="button"' not in client.get(reverse("styles:studio")).content.decode()


def test_the_next_upload_is_allowed_once_the_first_style_is_live(client, artist):
    client.force_login(artist)
    upload(client)
    first = Style.objects.get()
    style_report_training(style_id=first.pk, status=Style.Status.TRAINING, progress=50)
    assert upload(client, name="Too Soon").status_code == 422

    style_store_artifact(style_id=first.pk, artifact=ContentFile(b"lora", name="model.bin"))
    style_report_training(style_id=first.pk, status=Style.Status.COMPLETED)
    assert 'data-testid="upload-cap"' not in client.get(reverse("styles:new")).content.decode()
    assert upload(client, name="Second Set").status_code == 302
    # Past the cap for good: more sets may wait side by side.
    assert upload(client, name="Third Set").status_code == 302
    assert Style.objects.filter(artist=artist).count() == 3


def test_a_failed_first_set_frees_the_slot(client, artist):
    client.force_login(artist)
    upload(client)
    style_report_training(style_id=Style.objects.get().pk, status=Style.Status.FAILED, failure_reason="Blurry")
    assert upload(client, name="Second Try").status_code == 302


def test_a_style_hidden_by_moderation_does_not_lift_the_cap(client, artist, make_style):
    make_style(name="Hidden", hidden_at=timezone.now())
    make_style(name="Waiting", training_status=Style.Status.PENDING)
    client.force_login(artist)
    assert upload(client).status_code == 422


def test_an_artist_with_a_live_style_is_not_capped(client, artist, make_style):
    make_style(name="Live")
    make_style(name="Waiting", training_status=Style.Status.PENDING)
    client.force_login(artist)
    assert upload(client).status_code == 302
    assert not AccountEvent.objects.filter(kind=AccountEvent.Kind.UPLOAD_CAPPED).exists()


def test_the_check_inside_the_upload_transaction_locks_the_artist(artist, make_style):
    # style_create checks again under a lock on the artist's row, so two sets sent at once cannot both pass.
    make_style(name="Waiting", training_status=Style.Status.PENDING)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries, pytest.raises(NewArtistCapReached):
        style_check_upload_allowed(artist=artist, locked=True)
    assert "FOR UPDATE" in queries.captured_queries[0]["sql"]
    assert not AccountEvent.objects.exists()  # the refusal is recorded by the first, unlocked check
