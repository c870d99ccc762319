import pytest
from django.urls import reverse

from marketplace.generations.models import Generation


def test_public_completed_image_is_visible_to_anyone(client, make_generation, user, style):
    image = make_generation(
        prompt="a heron at dawn",
        aspect_ratio="1:2",
        seed=1234567,
        status=Generation.Status.COMPLETED,
        visibility=Generation.Visibility.PUBLIC,
        image="generations/heron.png",
    )

    response = client.get(image.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert "a heron at dawn" in html
    assert 'src="/media/generations/heron.png"' in html and 'width="512" height="1024"' in html
    assert "1:2 portrait" in html and "1234567" in html
    assert "Completed" not in html  # a visitor is never told the job's internal state
    assert f'href="{style.get_absolute_url()}"' in html and f'href="{user.get_absolute_url()}"' in html


HIDDEN = [
    {"status": Generation.Status.COMPLETED, "visibility": Generation.Visibility.PRIVATE},
    {"status": Generation.Status.FAILED, "visibility": Generation.Visibility.PUBLIC, "failure_reason": "GPU lost"},
    {"status": Generation.Status.QUEUED, "visibility": Generation.Visibility.PUBLIC},
]


@pytest.mark.parametrize("fields", HIDDEN)
def test_unpublished_image_is_404_for_anonymous_and_other_users(client, make_generation, make_user, fields):
    image = make_generation(prompt="a secret owl", **fields)

    assert client.get(image.get_absolute_url()).status_code == 404
    client.force_login(make_user())
    assert client.get(image.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("fields", HIDDEN)
def test_unpublished_image_is_visible_to_owner_and_staff(client, make_generation, make_user, user, fields):
    image = make_generation(prompt="a secret owl", **fields)

    for viewer in (user, make_user(is_staff=True)):
        client.force_login(viewer)
        response = client.get(image.get_absolute_url())
        html = response.content.decode()
        assert response.status_code == 200
        assert "a secret owl" in html
        # Its state only while it is not finished (the owner's job card); a finished image just shows.
        assert (image.get_status_display() in html) == (image.status != Generation.Status.COMPLETED)
        if image.failure_reason:
            assert "GPU lost" in html


def test_image_of_a_deleted_style_is_hidden_from_the_public(client, make_generation, style):
    image = make_generation(
        status=Generation.Status.COMPLETED, visibility=Generation.Visibility.PUBLIC, image="generations/x.png"
    )
    style.deleted_at = style.created_at
    style.save(update_fields=["deleted_at"])

    assert client.get(image.get_absolute_url()).status_code == 404


def test_a_queued_job_card_says_how_long_it_may_wait(client, user, make_generation, settings):
    settings.GENERATION_TIMEOUT_MINUTES = 15
    generation = make_generation()
    client.force_login(user)
    response = client.get(generation.get_absolute_url(), headers={"HX-Request": "true"})
    assert "If no worker takes it up for 15 minutes, it is stopped and refunded." in response.content.decode()
    status = client.get(reverse("webhooks:image-status", args=[generation.pk])).json()
    assert status["timeout_minutes"] == 15
