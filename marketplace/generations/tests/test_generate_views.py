import re
import uuid

import pytest
from django.urls import reverse

from marketplace.generations.models import Generation
from marketplace.generations.pricing import generation_cost
from marketplace.generations.services import generation_report, generation_submit
from marketplace.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def quote(style, ratio):
    """What the form's cost preview showed for `ratio`, posted back as the quote."""
    return str(generation_cost(price_per_generation=style.price_per_generation, aspect_ratio=ratio))


def post_generate(client, style, **overrides):
    headers = {name: overrides.pop(name) for name in list(overrides) if name.startswith("HTTP_")}  # e.g. **HX
    data = {"style": style.pk, "tags": "Fox, snow", "aspect_ratio": "1:2", "seed": "", "request_key": str(uuid.uuid4())}
    data.update(overrides)
    data.setdefault("quoted_cost", quote(style, data["aspect_ratio"]))
    return client.post(reverse("generations:generate"), data, **headers)


def test_form_shows_price_and_balance(client, user, trained_style, fund):
    fund(user, 30)
    client.force_login(user)
    body = client.get(reverse("generations:generate"), {"style": trained_style.pk}).content.decode()
    assert "Costs 5 tokens." in body and "Your balance: 30." in body
    assert 'name="request_key"' in body


def test_cost_fragment_follows_the_ratio_and_is_computed_here(client, user, trained_style, fund):
    fund(user, 12)
    client.force_login(user)
    url = reverse("generations:cost")
    body = client.get(url, {"style": trained_style.pk, "aspect_ratio": "1:2"}, **HX).content.decode()
    assert "Costs 10 tokens." in body
    body = client.get(url, {"style": trained_style.pk, "aspect_ratio": "2:2", "cost": "1"}, **HX).content.decode()
    assert "Costs 20 tokens." in body and "Buy tokens" in body and "<html" not in body


def test_submit_charges_and_lands_on_the_job(client, user, trained_style, fund):
    fund(user, 30)
    client.force_login(user)
    response = post_generate(client, trained_style)
    generation = Generation.objects.get()
    assert response.status_code == 302 and response["Location"] == generation.get_absolute_url()
    user.refresh_from_db()
    assert user.token_balance == 20 and generation.cost == 10


def test_htmx_submit_returns_the_job_card_and_a_fresh_form(client, user, trained_style, fund):
    fund(user, 30)
    client.force_login(user)
    key = str(uuid.uuid4())
    response = client.post(
        reverse("generations:generate"),
        {"style": trained_style.pk, "tags": "fox", "aspect_ratio": "1:1", "request_key": key, "quoted_cost": "5"}, **HX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#jobs" and "tokensChanged" in response["HX-Trigger"]
    assert 'hx-trigger="every 2s"' in body and "Next in line." in body
    assert 'hx-swap-oob="outerHTML"' in body and key not in body  # the next submit gets a new key


def test_double_submit_creates_one_generation(client, user, trained_style, fund):
    fund(user, 30)
    client.force_login(user)
    key = str(uuid.uuid4())
    post_generate(client, trained_style, request_key=key)
    post_generate(client, trained_style, request_key=key)
    assert Generation.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="consume").count() == 1


def test_not_enough_tokens_links_to_the_wallet_and_charges_nothing(client, user, trained_style, fund):
    fund(user, 3)
    client.force_login(user)
    response = post_generate(client, trained_style, **HX)
    body = response.content.decode()
    assert response.status_code == 422
    assert "This needs 10 tokens but your balance is 3." in body
    assert reverse("ledger:wallet") in body
    assert not Generation.objects.exists()


def test_the_page_keeps_a_place_for_new_images_beside_the_form_for_members_only(client, user):
    client.force_login(user)
    body = client.get(reverse("generations:generate")).content.decode()
    form_at, results_at = body.index('id="generate-form"'), body.index('class="generate-results"')
    assert form_at < results_at and body.index('<div id="jobs"') > results_at  # the job cards' target
    assert f'href="{reverse("generations:mine")}"' in body[results_at:]

    client.logout()
    body = client.get(reverse("generations:generate")).content.decode()
    assert "generate-results" not in body and "Log in to generate" in body


def test_anonymous_cannot_generate(client, trained_style):
    response = post_generate(client, trained_style)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    assert not Generation.objects.exists()


def submitted(user, style, fund):
    fund(user, 100)
    return generation_submit(
        user=user, style_id=style.pk, prompt_tags=["fox"], aspect_ratio="1:1", seed=9, request_key=uuid.uuid4()
    )


def test_job_card_polls_then_stops_with_286(client, user, trained_style, fund):
    generation = submitted(user, trained_style, fund)
    client.force_login(user)
    first = client.get(generation.get_absolute_url(), **HX)
    assert first.status_code == 200 and 'hx-trigger="every 2s"' in first.content.decode()
    generation_report(generation_id=generation.pk, status="failed", failure_reason="The GPU fell over.")
    last = client.get(generation.get_absolute_url(), **HX)
    body = last.content.decode()
    assert last.status_code == 286
    assert "The GPU fell over." in body and "5 tokens refunded." in body and "every 2s" not in body
    assert "tokensChanged" in last["HX-Trigger"]


def test_someone_elses_job_is_404(client, user, make_user, trained_style, fund):
    generation = submitted(user, trained_style, fund)
    client.force_login(make_user())
    assert client.get(generation.get_absolute_url(), **HX).status_code == 404
    assert client.post(reverse("generations:cancel", args=[generation.pk])).status_code == 404


def test_cancel_refunds(client, user, trained_style, fund):
    generation = submitted(user, trained_style, fund)
    client.force_login(user)
    response = client.post(reverse("generations:cancel", args=[generation.pk]), **HX)
    assert "Cancelled by you." in response.content.decode() and "5 tokens refunded." in response.content.decode()
    user.refresh_from_db()
    assert user.token_balance == 100


def completed(user, style, fund):
    generation = submitted(user, style, fund)
    Generation.objects.filter(pk=generation.pk).update(status="completed", image="generations/done.png")
    generation.refresh_from_db()
    return generation


def test_gallery_publish_withdraw_delete(client, user, make_user, trained_style, fund):
    generation = completed(user, trained_style, fund)
    client.force_login(user)
    assert "Publish to feed" in client.get(reverse("generations:mine")).content.decode()

    response = client.post(reverse("generations:visibility", args=[generation.pk]), {"visibility": "public"}, **HX)
    assert "Withdraw from feed" in response.content.decode()
    assert f'hx-target="#gallery-{generation.pk}"' in response.content.decode()  # swaps itself in place
    assert Generation.objects.public().filter(pk=generation.pk).exists()

    client.post(reverse("generations:visibility", args=[generation.pk]), {"visibility": "private"})
    assert not Generation.objects.public().filter(pk=generation.pk).exists()

    client.force_login(make_user())
    assert client.post(reverse("generations:delete", args=[generation.pk])).status_code == 404
    client.force_login(user)
    client.post(reverse("generations:delete", args=[generation.pk]))
    generation.refresh_from_db()
    assert generation.deleted_at and not generation.image
    assert client.get(generation.get_absolute_url()).status_code == 404
    assert LedgerEntry.objects.filter(generation=generation).exists()  # history stays


def test_unfinished_images_cannot_be_published(client, user, trained_style, fund):
    generation = submitted(user, trained_style, fund)
    client.force_login(user)
    client.post(reverse("generations:visibility", args=[generation.pk]), {"visibility": "public"})
    generation.refresh_from_db()
    assert generation.visibility == "private"


def test_remix_prefills_style_tags_ratio_and_seed(client, user, make_user, trained_style, fund):
    original = completed(user, trained_style, fund)
    Generation.objects.filter(pk=original.pk).update(visibility="public", aspect_ratio="2:2", seed=31337)
    client.force_login(make_user())
    body = client.get(reverse("generations:generate"), {"remix": original.pk}).content.decode()
    assert 'value="31337"' in body and 'value="fox"' in body
    assert f'<option value="{trained_style.pk}" selected>' in body
    assert re.search(r'value="2:2"[^>]*checked', body)


def test_style_page_offers_the_generate_form(client, user, trained_style, fund, django_assert_max_num_queries):
    fund(user, 30)
    client.force_login(user)
    with django_assert_max_num_queries(12):
        body = client.get(trained_style.get_absolute_url()).content.decode()
    assert 'id="generate-form"' in body
    assert f'<input type="hidden" name="style" value="{trained_style.pk}"' in body and "<option" not in body
    assert "Costs 5 tokens." in body and "Your balance: 30." in body and 'id="jobs"' in body


def test_style_without_a_trained_model_has_no_form(client, user, style):
    client.force_login(user)
    assert 'id="generate-form"' not in client.get(style.get_absolute_url()).content.decode()


def test_job_card_and_json_give_the_estimated_start(client, user, trained_style, fund):
    from datetime import timedelta

    from django.utils import timezone

    done = submitted(user, trained_style, fund)
    now = timezone.now()
    Generation.objects.filter(pk=done.pk).update(
        status="completed", started_at=now - timedelta(minutes=4), finished_at=now
    )
    first = submitted(user, trained_style, fund)
    second = submitted(user, trained_style, fund)
    client.force_login(user)
    body = client.get(second.get_absolute_url(), **HX).content.decode()
    assert "Number 2 in line." in body and re.search(r"Estimated start:.*[34]\xa0minutes from now", body, re.S)
    data = client.get(reverse("webhooks:image-status", args=[second.pk])).json()
    assert data["queue_position"] == 2 and data["estimated_start"].startswith(str(now.year))
    assert first.pk < second.pk


def test_the_job_card_says_how_long_a_job_usually_takes_once_there_is_data(client, user, trained_style, fund):
    from datetime import timedelta

    from django.core.cache import cache
    from django.utils import timezone

    cache.clear()
    job = submitted(user, trained_style, fund)
    client.force_login(user)
    assert 'data-testid="job-typical"' not in client.get(job.get_absolute_url(), **HX).content.decode()  # no data

    cache.clear()  # the running average is seeded again, from the completed job below
    done = submitted(user, trained_style, fund)
    now = timezone.now()
    Generation.objects.filter(pk=done.pk).update(status="completed", started_at=now - timedelta(seconds=12),
                                                  finished_at=now)
    queued = client.get(job.get_absolute_url(), **HX).content.decode()
    assert "Usually takes about 12 seconds." in queued
    Generation.objects.filter(pk=job.pk).update(status="processing", started_at=now, progress=40)
    drawing = client.get(job.get_absolute_url(), **HX).content.decode()
    assert "Drawing: 40%" in drawing and "Usually takes about 12 seconds." in drawing


def test_a_job_due_to_start_says_in_a_moment_and_a_late_one_never_says_now(client, user, trained_style, fund):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    done = submitted(user, trained_style, fund)
    Generation.objects.filter(pk=done.pk).update(status="completed", started_at=now - timedelta(seconds=20),
                                                  finished_at=now)
    job = submitted(user, trained_style, fund)  # next in line, nothing running: due now
    client.force_login(user)
    fresh = client.get(job.get_absolute_url(), **HX).content.decode()
    assert "Starting in a moment." in fresh and "Estimated start" not in fresh

    Generation.objects.filter(pk=job.pk).update(created_at=now - timedelta(minutes=3))  # nobody took it up
    late = client.get(job.get_absolute_url(), **HX).content.decode()
    assert "Taking longer than usual to start: it waits for a free worker." in late
    assert "Estimated start" not in late and "Starting in a moment" not in late and ">now<" not in late


def test_submit_from_a_style_page_keeps_the_style_fixed(client, user, trained_style, fund):
    fund(user, 30)
    client.force_login(user)
    response = client.post(
        reverse("generations:generate"),
        {"style": trained_style.pk, "fixed_style": "1", "tags": "fox", "aspect_ratio": "1:1",
         "request_key": str(uuid.uuid4()), "quoted_cost": "5"}, **HX,
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<option" not in body and 'name="fixed_style"' in body
