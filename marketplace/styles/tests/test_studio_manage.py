from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.urls import reverse

from marketplace.core.testing import credit_tokens, imagefiles
from marketplace.styles.models import Style, TrainingImage

pytestmark = pytest.mark.django_db


def edit_data(**overrides):
    data = {
        "name": "Ink Wash II", "description": "Now with more water.", "tags": "ink, Wash",
        "price_per_generation": "9", "commercial_use": "yes", "credit_required": "no",
    }
    data.update(overrides)
    return data


def test_owner_edits_name_tags_price_and_licence(client, artist, style):
    client.force_login(artist)
    form = client.get(reverse("styles:edit", args=[style.pk])).content.decode()
    assert 'value="Ink Wash"' in form
    response = client.post(reverse("styles:edit", args=[style.pk]), edit_data())
    assert response.status_code == 302
    style.refresh_from_db()
    assert (style.name, style.price_per_generation, style.commercial_use, style.credit_required) == (
        "Ink Wash II", 9, True, False,
    )
    assert sorted(style.tags.values_list("name", flat=True)) == ["ink", "wash"]


def test_edit_validates(client, artist, style):
    client.force_login(artist)
    response = client.post(reverse("styles:edit", args=[style.pk]), edit_data(price_per_generation="0"))
    assert response.status_code == 422
    style.refresh_from_db()
    assert style.name == "Ink Wash"


def test_non_owner_gets_403_for_edit_and_delete(client, make_user, style):
    client.force_login(make_user())
    assert client.get(reverse("styles:edit", args=[style.pk])).status_code == 403
    assert client.post(reverse("styles:edit", args=[style.pk]), edit_data()).status_code == 403
    assert client.post(reverse("styles:delete", args=[style.pk])).status_code == 403
    assert Style.objects.filter(pk=style.pk, deleted_at__isnull=True, name="Ink Wash").exists()


def with_files(style):
    image = TrainingImage(style=style, position=0, width=512, height=512)
    image.image.save("a.png", ContentFile(imagefiles.png()), save=False)
    image.thumbnail.save("a.jpg", ContentFile(imagefiles.jpeg()), save=False)
    image.save()
    style.model_path.save("m.json", ContentFile(b"{}"))
    names = (image.image.name, image.thumbnail.name, style.model_path.name)
    return [Path(settings.MEDIA_ROOT) / name for name in names]


def test_style_without_generations_is_removed_for_good_with_its_files(
    client, artist, style, django_capture_on_commit_callbacks
):
    paths = with_files(style)
    assert all(p.exists() for p in paths)
    client.force_login(artist)
    assert "removed for good" in client.get(reverse("styles:delete", args=[style.pk])).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("styles:delete", args=[style.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("styles:studio")
    assert not Style.objects.filter(pk=style.pk).exists()
    assert not any(p.exists() for p in paths)


def test_style_with_generations_is_soft_deleted_and_images_stay(client, artist, style, make_generation):
    paths = with_files(style)
    generation = make_generation(status="completed", visibility="public", image="generations/g.png")
    client.force_login(artist)
    assert "stay intact" in client.get(reverse("styles:delete", args=[style.pk])).content.decode()
    client.post(reverse("styles:delete", args=[style.pk]))
    style.refresh_from_db()
    assert style.deleted_at is not None
    assert all(p.exists() for p in paths)
    generation.refresh_from_db()
    assert generation.style_id == style.pk
    assert not Style.objects.live().filter(pk=style.pk).exists()
    client.get(reverse("styles:studio"))  # consumes the flash message
    assert reverse("styles:edit", args=[style.pk]) not in client.get(reverse("styles:studio")).content.decode()


def test_staff_may_delete(client, make_user, style):
    client.force_login(make_user(is_staff=True))
    client.post(reverse("styles:delete", args=[style.pk]))
    assert not Style.objects.filter(pk=style.pk).exists()


def test_studio_shows_earnings_per_style(client, artist, style, make_generation, make_style):
    other = make_style(name="Other")
    for cost in (10, 20):
        generation = make_generation(cost=cost, status="completed")
        credit_tokens(artist, cost * 7 // 10, f"earn:{generation.pk}", kind="earn", reason="e", generation=generation)
    client.force_login(artist)
    body = client.get(reverse("styles:studio")).content.decode()
    assert "21 tokens" in body  # 7 + 14 from Ink Wash
    assert other.name in body and "0 tokens" in body
