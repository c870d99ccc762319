import json
import uuid
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest
from django.conf import settings
from django.utils import timezone

from marketplace.core.exceptions import NotAllowed, ServiceError
from marketplace.core.testing import run_in_threads
from marketplace.generations.models import Generation
from marketplace.generations.services import (
    generation_cancel,
    generation_report,
    generation_set_visibility,
    generation_store_image,
    generation_submit,
    generation_withdraw,
)
from marketplace.jobs.lifecycle import TransitionNotAllowed
from marketplace.jobs.models import OutboxMessage
from marketplace.jobs.sweeps import run_sweeps
from marketplace.ledger.exceptions import InsufficientTokens
from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.reasons import ledger_reason_text

SCHEMA = json.loads((Path(settings.BASE_DIR) / "docs/schemas/generation-message.v1.json").read_text())


@pytest.fixture(autouse=True)
def _db(db):
    pass


def submit(user, style, **overrides):
    fields = {"prompt_tags": ["Fox", "snow"], "aspect_ratio": "1:2", "seed": 42, "request_key": uuid.uuid4()}
    return generation_submit(user=user, style_id=style.pk, **{**fields, **overrides})


def test_submit_charges_price_times_ratio_and_queues_the_message(user, trained_style, fund):
    fund(user, 100)
    generation = submit(user, trained_style)
    user.refresh_from_db()
    assert (generation.status, generation.cost, generation.seed) == ("queued", 10, 42)
    assert user.token_balance == 90
    debit = LedgerEntry.objects.get(kind="consume")
    assert (debit.amount, debit.generation_id) == (-10, generation.pk)
    assert list(generation.tags.values_list("name", flat=True)) == ["fox", "snow"]
    message = OutboxMessage.objects.get(queue="image_generation").payload
    jsonschema.validate(message, SCHEMA)
    assert (message["width"], message["height"], message["prompt_tags"]) == (512, 1024, ["fox", "snow"])
    assert message["lora_path"] == trained_style.model_path.name


@pytest.mark.parametrize("ratio,cost", [("1:1", 5), ("1:2", 10), ("2:2", 20)])
def test_cost_by_area(user, trained_style, fund, ratio, cost):
    fund(user, 100)
    assert submit(user, trained_style, aspect_ratio=ratio).cost == cost


def test_random_seed_is_chosen_and_recorded(user, trained_style, fund):
    fund(user, 100)
    generation = submit(user, trained_style, seed=None)
    assert 0 <= generation.seed < 2**32
    assert OutboxMessage.objects.get().payload["seed"] == generation.seed


def test_not_enough_tokens_charges_and_creates_nothing(user, trained_style, fund):
    fund(user, 9)
    with pytest.raises(InsufficientTokens):
        submit(user, trained_style)
    assert not Generation.objects.exists() and not OutboxMessage.objects.exists()
    user.refresh_from_db()
    assert user.token_balance == 9


def test_resubmitted_form_creates_one_generation(user, trained_style, fund):
    fund(user, 100)
    key = uuid.uuid4()
    assert submit(user, trained_style, request_key=key).pk == submit(user, trained_style, request_key=key).pk
    assert Generation.objects.count() == 1
    user.refresh_from_db()
    assert user.token_balance == 90


@pytest.mark.parametrize(
    "overrides",
    [
        {"prompt_tags": []},
        {"prompt_tags": [f"t{i}" for i in range(21)]},
        {"prompt_tags": ["x" * 51]},
        {"aspect_ratio": "3:4"},
        {"seed": -1},
    ],
)
def test_bad_input_is_refused(user, trained_style, fund, overrides):
    fund(user, 100)
    with pytest.raises(ServiceError):
        submit(user, trained_style, **overrides)
    assert not Generation.objects.exists()


def test_style_must_be_live(user, make_style, fund):
    fund(user, 100)
    with pytest.raises(ServiceError):
        submit(user, make_style(training_status="pending"))


def queued(user, style, fund):
    fund(user, 100)
    return submit(user, style)


def test_completed_pays_the_artist_once(user, artist, trained_style, fund, png_bytes):
    generation = queued(user, trained_style, fund)
    generation_report(generation_id=generation.pk, status="processing")
    generation_store_image(generation_id=generation.pk, data=png_bytes((512, 1024)))
    generation_report(generation_id=generation.pk, status="completed")
    _, changed = generation_report(generation_id=generation.pk, status="completed")
    assert changed is False
    earn = LedgerEntry.objects.get(kind="earn")
    assert (earn.user_id, earn.amount) == (artist.pk, 7)  # 70 % of 10


def test_failure_refunds_once_and_tells_the_user(user, trained_style, fund):
    generation = queued(user, trained_style, fund)
    generation_report(generation_id=generation.pk, status="failed", failure_reason="GPU ran out of memory.")
    generation_report(generation_id=generation.pk, status="failed", failure_reason="GPU ran out of memory.")
    refund = LedgerEntry.objects.get(kind="refund")
    assert (refund.amount, refund.generation_id) == (10, generation.pk)
    assert ledger_reason_text(refund) == "Refund: the image worker failed: GPU ran out of memory."
    user.refresh_from_db()
    assert user.token_balance == 100
    note = user.notifications.get()
    assert note.message == "Your image in Ink Wash failed: GPU ran out of memory. 10 tokens refunded."


def test_cancel_while_queued_refunds(user, trained_style, fund):
    generation = queued(user, trained_style, fund)
    generation_cancel(user=user, generation_id=generation.pk)
    generation.refresh_from_db()
    assert generation.status == "cancelled"
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    with pytest.raises(TransitionNotAllowed):
        generation_report(generation_id=generation.pk, status="processing")


def test_cannot_cancel_someone_elses_or_a_running_one(user, make_user, trained_style, fund):
    generation = queued(user, trained_style, fund)
    with pytest.raises(Generation.DoesNotExist):
        generation_cancel(user=make_user(), generation_id=generation.pk)
    generation_report(generation_id=generation.pk, status="processing")
    with pytest.raises(TransitionNotAllowed):
        generation_cancel(user=user, generation_id=generation.pk)


def test_image_is_checked(user, trained_style, fund, png_bytes):
    generation = queued(user, trained_style, fund)
    with pytest.raises(ServiceError, match="must be 512×1024 pixels; this one is 512×512"):
        generation_store_image(generation_id=generation.pk, data=png_bytes((512, 512)))
    with pytest.raises(ServiceError, match="The upload is not an image Atelier can read."):
        generation_store_image(generation_id=generation.pk, data=b"GIF89a nonsense")
    generation_report(generation_id=generation.pk, status="processing")
    with pytest.raises(TransitionNotAllowed, match="Upload the image"):
        generation_report(generation_id=generation.pk, status="completed")


def test_timeout_sweep_fails_and_refunds_once_then_late_completion_is_refused(
    user, trained_style, fund, png_bytes, settings
):
    settings.GENERATION_TIMEOUT_MINUTES = 15
    stuck = queued(user, trained_style, fund)
    generation_report(generation_id=stuck.pk, status="processing")
    long_ago = timezone.now() - timedelta(minutes=16)
    Generation.objects.filter(pk=stuck.pk).update(created_at=long_ago, started_at=long_ago)
    assert run_sweeps() == 1
    assert run_sweeps() == 0
    stuck.refresh_from_db()
    assert stuck.status == "failed" and "longer than 15 minutes" in stuck.failure_reason
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    with pytest.raises(TransitionNotAllowed):
        generation_store_image(generation_id=stuck.pk, data=png_bytes((512, 1024)))
    with pytest.raises(TransitionNotAllowed):
        generation_report(generation_id=stuck.pk, status="completed")
    assert not LedgerEntry.objects.filter(kind="earn").exists()


def test_a_backlog_waits_its_turn_without_timing_out(user, trained_style, fund, settings):
    """Jobs queued long ago are not failed while the worker keeps taking jobs up."""
    settings.GENERATION_TIMEOUT_MINUTES = 15
    backlog = [queued(user, trained_style, fund) for _ in range(3)]
    Generation.objects.filter(pk__in=[g.pk for g in backlog]).update(created_at=timezone.now() - timedelta(minutes=40))
    working = queued(user, trained_style, fund)
    generation_report(generation_id=working.pk, status="processing")  # the worker took one up just now
    assert run_sweeps() == 0
    assert set(Generation.objects.values_list("status", flat=True)) == {"queued", "processing"}


def test_jobs_nobody_takes_up_fail_with_a_reason_and_a_refund(user, trained_style, fund, settings):
    settings.GENERATION_TIMEOUT_MINUTES = 15
    waiting = queued(user, trained_style, fund)
    Generation.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    assert run_sweeps() == 1
    waiting.refresh_from_db()
    assert waiting.status == "failed"
    assert waiting.failure_reason == "No image worker took this job up within 15 minutes."
    assert LedgerEntry.objects.filter(kind="refund", generation=waiting).count() == 1


# --- Concurrency on PostgreSQL -----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_100_simultaneous_submits_with_balance_for_50(postgres, make_user, trained_style, fund):
    user = fund(make_user(), 250)  # 50 × 5 tokens

    def attempt(i):
        try:
            submit(user, trained_style, aspect_ratio="1:1")
            return "ok"
        except InsufficientTokens as exc:
            return str(exc)

    results = run_in_threads(attempt, 100)
    assert results.count("ok") == 50
    refusals = [r for r in results if r != "ok"]
    assert len(refusals) == 50 and all("needs 5 tokens but your balance is 0" in r for r in refusals)
    assert Generation.objects.count() == 50
    assert LedgerEntry.objects.filter(kind="consume").count() == 50
    user.refresh_from_db()
    assert user.token_balance == 0


@pytest.mark.django_db(transaction=True)
def test_same_failure_reported_20_times_concurrently_refunds_once(postgres, make_user, trained_style, fund):
    user = make_user()
    generation = queued(user, trained_style, fund)

    def report(_):
        try:
            return generation_report(generation_id=generation.pk, status="failed", failure_reason="boom")[1]
        except TransitionNotAllowed:
            return "conflict"

    results = run_in_threads(report, 20)
    assert results.count(True) == 1 and results.count(False) == 19
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    user.refresh_from_db()
    assert user.token_balance == 100


@pytest.mark.django_db(transaction=True)
def test_double_clicked_form_concurrently_charges_once(postgres, make_user, trained_style, fund):
    user = fund(make_user(), 100)
    key = uuid.uuid4()
    ids = run_in_threads(lambda _: submit(user, trained_style, request_key=key).pk, 8)
    assert len(set(ids)) == 1
    user.refresh_from_db()
    assert user.token_balance == 90


def test_owner_and_staff_may_withdraw_an_image_and_nobody_else(make_user, user, make_generation):
    public = {"status": Generation.Status.COMPLETED, "visibility": Generation.Visibility.PUBLIC}
    own, moderated, others = make_generation(**public), make_generation(**public), make_generation(**public)
    staff, stranger = make_user(is_staff=True), make_user()

    generation_withdraw(by=user, generation_id=own.pk)
    generation_withdraw(by=staff, generation_id=moderated.pk)
    with pytest.raises(NotAllowed) as refused:
        generation_withdraw(by=stranger, generation_id=others.pk)

    assert refused.value.code == "forbidden"
    assert isinstance(refused.value, ServiceError)
    for generation, visibility in [(own, "private"), (moderated, "private"), (others, "public")]:
        generation.refresh_from_db()
        assert generation.visibility == visibility


def test_withdrawing_a_private_image_changes_nothing(make_user, make_generation):
    generation = make_generation(status=Generation.Status.COMPLETED)
    before = Generation.objects.get(pk=generation.pk).updated_at

    withdrawn = generation_withdraw(by=make_user(is_staff=True), generation_id=generation.pk)

    assert withdrawn.visibility == Generation.Visibility.PRIVATE
    assert Generation.objects.get(pk=generation.pk).updated_at == before


def test_staff_cannot_publish_someone_elses_image(make_user, make_generation):
    generation = make_generation(status=Generation.Status.COMPLETED)

    with pytest.raises(Generation.DoesNotExist):
        generation_set_visibility(user=make_user(is_staff=True), generation_id=generation.pk, public=True)

    generation.refresh_from_db()
    assert generation.visibility == Generation.Visibility.PRIVATE
