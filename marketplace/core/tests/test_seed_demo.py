import hashlib
import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from marketplace.accounts.models import User
from marketplace.community.models import Comment, Follow, Like
from marketplace.core.demo import art, seed
from marketplace.core.images import THUMBNAIL_SIZE as UPLOAD_THUMBNAIL_SIZE
from marketplace.core.testing import wait_until
from marketplace.generations.models import Generation
from marketplace.jobs.background import run_pass
from marketplace.jobs.models import OutboxMessage
from marketplace.ledger.audit import ledger_find_broken_accounts
from marketplace.ledger.models import LedgerEntry, Payment
from marketplace.ledger.selectors import ledger_earnings
from marketplace.notifications.models import Notification
from marketplace.styles.models import Style, Tag, TrainingImage
from marketplace.styles.services import (
    style_fail_stalled_trainings,
    style_report_training,
    style_store_artifact,
    training_message,
)
from worker.engines import load_engine
from worker.protocol import ASPECT_RATIOS

pytestmark = pytest.mark.django_db

SEEDED_MODELS = (User, EmailAddress, Style, Tag, TrainingImage, Generation, Like, Comment, Follow, Notification,
                 LedgerEntry, Payment, OutboxMessage)


def run_seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in SEEDED_MODELS}


def media_files() -> list[Path]:
    return sorted(path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file())


def assert_real_picture(field_file, size: tuple[int, int]) -> None:
    """A picture, not a blank square. Pixel art has few colours by design, so
    the bar is several colours with none covering nearly the whole image."""
    with field_file.open("rb"), Image.open(field_file) as img:
        img = img.convert("RGB")
        assert img.size == size
        colors = img.getcolors(maxcolors=img.width * img.height)
        assert len(colors) >= 5
        assert max(count for count, _ in colors) < 0.9 * img.width * img.height
        assert all(low < high for low, high in img.getextrema())


def test_seed_fills_the_marketplace():
    run_seed()

    assert User.objects.filter(role=User.Role.ARTIST).count() == 4
    assert User.objects.filter(role=User.Role.USER, is_staff=False).count() == 2
    assert User.objects.get(email="admin@atelier.local").is_superuser
    live = Style.objects.live().annotate(
        n_tags=Count("tags", distinct=True), n_images=Count("training_images", distinct=True)
    )
    assert live.count() >= 8
    for style in live:
        assert style.trained_at is not None
        assert 2 <= style.price_per_generation <= 15
        assert 2 <= style.n_tags <= 4
        assert style.n_images == 10
    assert {True, False} <= set(live.values_list("commercial_use", flat=True))
    assert Style.objects.get(training_status=Style.Status.PENDING).training_images.count() == 10
    assert Style.objects.get(training_status=Style.Status.FAILED).failure_reason

    public = Generation.objects.public()
    assert public.count() >= 20
    assert {"1:1", "1:2", "2:2"} <= set(public.values_list("aspect_ratio", flat=True))
    multiplier = {"1:1": 1, "1:2": 2, "2:2": 4}
    for generation in public.select_related("style"):
        assert generation.cost == generation.style.price_per_generation * multiplier[generation.aspect_ratio]
        assert generation.finished_at and generation.tags.exists()

    assert Like.objects.count() >= 40
    assert Comment.objects.count() >= 12
    assert Follow.objects.filter(follower__role=User.Role.USER, following__role=User.Role.ARTIST).count() == 8
    for artist in User.objects.filter(role=User.Role.ARTIST):
        assert artist.notifications.count() >= 2
        assert artist.avatar
    assert Notification.objects.filter(
        kind=Notification.Kind.TRAINING_COMPLETE, message="Your style model Harbour Watercolor is ready!"
    ).exists()


def test_every_demo_user_gets_one_welcome_bonus_and_a_verified_email():
    run_seed()

    for user in User.objects.all():
        assert user.email.endswith("@atelier.local")
        assert user.ledger_entries.filter(kind=LedgerEntry.Kind.WELCOME).count() == 1
        assert user.token_balance == user.ledger_entries.aggregate(total=Sum("amount"))["total"]
        assert EmailAddress.objects.filter(user=user, email=user.email, verified=True, primary=True).exists()


def test_demo_pictures_are_real_images():
    run_seed()

    for image in TrainingImage.objects.select_related("style"):
        assert (image.width, image.height) == (512, 512)
        assert_real_picture(image.image, (512, 512))
        # The pending style's set went through the upload service, which makes its own thumbnails.
        uploaded = image.style.training_status == Style.Status.PENDING
        assert_real_picture(image.thumbnail, UPLOAD_THUMBNAIL_SIZE if uploaded else (256, 256))
    sizes = {"1:1": (512, 512), "1:2": (512, 1024), "2:2": (1024, 1024)}
    for generation in Generation.objects.all():
        assert_real_picture(generation.image, sizes[generation.aspect_ratio])
    for artist in User.objects.filter(role=User.Role.ARTIST):
        assert_real_picture(artist.avatar, (256, 256))


def test_second_run_creates_nothing():
    first_output = run_seed()
    counts, files = row_counts(), media_files()

    second_output = run_seed()

    assert "Demo data created" in first_output
    assert "already present" in second_output
    assert row_counts() == counts
    assert media_files() == files


def test_printed_login_works_on_the_login_page(client):
    output = run_seed()
    password = re.search(r"password for every account: (\S+)\)", output).group(1)
    assert "lena@atelier.local" in output

    response = client.post(reverse("account_login"), {"login": "lena@atelier.local", "password": password})

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == User.objects.get(username="lena").pk


def test_a_failure_leaves_nothing_behind(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(seed, "_community", broken)

    with pytest.raises(RuntimeError):
        run_seed()

    assert not any(row_counts().values())


def test_art_is_deterministic_per_seed():
    palette = ("#f6f1e7", "#3a7ca5", "#81c3d7", "#d9a5b3", "#2f6690", "#ffffff")
    for recipe in art.RECIPES:
        first = art.draw(recipe, palette=palette, seed=3, size=(128, 256))
        assert first.size == (128, 256)
        assert first.tobytes() == art.draw(recipe, palette=palette, seed=3, size=(128, 256)).tobytes()
        assert first.tobytes() != art.draw(recipe, palette=palette, seed=4, size=(128, 256)).tobytes()


# --- Demo data that tells the truth (issue 10) -----------------------------------------------


def test_the_pending_style_is_queued_for_training_once():
    run_seed()
    pending = Style.objects.get(training_status=Style.Status.PENDING)
    messages = OutboxMessage.objects.filter(queue="model_training")
    assert list(messages.values_list("payload", flat=True)) == [training_message(pending)]
    # Queued just now, not weeks ago: a sweep must not fail it for waiting longer than the timeout.
    assert timezone.now() - pending.created_at < timedelta(minutes=5)
    assert style_fail_stalled_trainings() == 0

    run_seed()

    assert messages.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_trains_the_seeded_pending_style(reference_worker, settings):
    run_seed()  # the command leaves its training job in the outbox, for the serving process
    pending = Style.objects.get(slug="moss-and-fern")
    settings.EMBEDDED_WORKER = True  # now the server: its dispatcher hands the job to the worker

    def delivered():  # the serving process's dispatcher pass, until the outbox holds nothing unsent
        run_pass()
        return not OutboxMessage.objects.filter(sent_at__isnull=True).exists()

    wait_until(delivered, timeout=90)

    def trained():
        pending.refresh_from_db()
        return pending.training_status in {Style.Status.COMPLETED, Style.Status.FAILED}

    wait_until(trained, timeout=90)
    assert pending.training_status == Style.Status.COMPLETED, pending.failure_reason
    assert json.loads(pending.model_path.read())["image_count"] == 10
    assert pending.artist.notifications.filter(kind=Notification.Kind.TRAINING_COMPLETE, link__contains=pending.slug)


def pixels_digest(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as image:
        return hashlib.sha256(image.convert("RGB").tobytes()).hexdigest()


def test_public_images_are_what_the_reference_engine_draws_from_their_seed():
    """Remix with the same settings gives the same picture, pixel for pixel (Atelier re-encodes what a worker
    uploads, so the file is not the worker's bytes; compared as digests, a mismatch reports fast)."""
    run_seed()

    public = Generation.objects.public().select_related("style")
    assert public.count() >= 20
    for generation in public:
        with generation.style.model_path.open("rb") as artefact:
            learnt = artefact.read()
        with generation.image.open("rb") as stored:
            drawn = stored.read()
        prompt_tags = generation.prompt.split(", ")
        width, height = ASPECT_RATIOS[generation.aspect_ratio]
        rendered = load_engine("reference").generate(learnt, prompt_tags, width, height, generation.seed)
        assert pixels_digest(rendered) == pixels_digest(drawn), generation.prompt


def test_seeded_generations_are_charged_and_pay_their_artists():
    run_seed()

    assert ledger_find_broken_accounts() == []
    out = io.StringIO()
    call_command("ledger_audit", stdout=out)
    assert "All accounts balance" in out.getvalue()
    completed = Generation.objects.filter(status=Generation.Status.COMPLETED).select_related("style")
    assert completed.count() >= 20
    for generation in completed:
        debits = generation.ledger_entries.filter(kind=LedgerEntry.Kind.CONSUME)
        assert list(debits.values_list("user_id", "amount")) == [(generation.user_id, -generation.cost)]
        assert generation.ledger_entries.filter(kind=LedgerEntry.Kind.EARN, user=generation.style.artist).count() == 1
        # The ledger row is dated with the image, as a real charge would be.
        assert abs(debits.get().created_at - generation.created_at) < timedelta(minutes=1)
    sold = User.objects.filter(styles__generations__isnull=False).distinct()
    assert sold.count() == 4
    for artist in sold:
        assert ledger_earnings(artist).aggregate(total=Sum("amount"))["total"] > 0
    for user in User.objects.all():
        # Each account's history reads in order: every row's balance follows from the one before.
        balance = 0
        for entry in user.ledger_entries.order_by("created_at", "id"):
            balance += entry.amount
            assert entry.balance_after == balance, entry


def test_a_second_run_changes_no_balance_and_no_ledger_row():
    run_seed()
    ledger = list(LedgerEntry.objects.order_by("pk").values_list("pk", "user_id", "amount", "balance_after"))
    balances = dict(User.objects.values_list("pk", "token_balance"))

    run_seed()

    assert list(LedgerEntry.objects.order_by("pk").values_list("pk", "user_id", "amount", "balance_after")) == ledger
    assert dict(User.objects.values_list("pk", "token_balance")) == balances
    assert ledger_find_broken_accounts() == []


def test_a_run_after_the_worker_trained_the_pending_style_adds_nothing():
    run_seed()
    pending = Style.objects.get(training_status=Style.Status.PENDING)
    # What the worker reports over the webhooks once Atelier runs.
    style_report_training(style_id=pending.pk, status=Style.Status.TRAINING, progress=0)
    style_store_artifact(style_id=pending.pk, artifact=ContentFile(b'{"kind": "atelier-reference-signature"}'))
    style_report_training(style_id=pending.pk, status=Style.Status.COMPLETED)
    counts = row_counts()

    output = run_seed()

    assert "already present" in output
    assert row_counts() == counts
    ready = pending.artist.notifications.filter(kind=Notification.Kind.TRAINING_COMPLETE)
    assert ready.filter(message__contains=pending.name).count() == 1
