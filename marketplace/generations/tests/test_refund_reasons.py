"""A refund says why, in words, on the wallet and in its CSV: cancelled, the worker's reason, or a timeout."""

import csv
import io
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.generations.models import Generation
from marketplace.generations.services import generation_cancel, generation_report, generation_submit
from marketplace.jobs.sweeps import run_sweeps
from marketplace.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def generation(user, trained_style, fund):
    fund(user, 100)
    return generation_submit(
        user=user, style_id=trained_style.pk, prompt_tags=["fox"], aspect_ratio="1:1", seed=1, request_key=uuid.uuid4()
    )


def wallet_pages(client):
    """The wallet as a page and as the history fragment htmx swaps in."""
    return [client.get(reverse("ledger:wallet"), **headers).content.decode() for headers in ({}, HX)]


def refund_row_in_csv(client) -> list[str]:
    body = b"".join(client.get(reverse("ledger:history-csv")).streaming_content).decode()
    return next(row for row in csv.reader(io.StringIO(body)) if row[1] == "refund")


def test_a_cancel_is_refunded_by_you(client, user, generation):
    generation_cancel(user=user, generation_id=generation.pk)
    client.force_login(user)
    for body in wallet_pages(client):
        assert "Refund: cancelled by you" in body and "generation_failed" not in body
        assert f'<a href="{generation.get_absolute_url()}">Generation #{generation.pk}</a>' in body
        assert "Generation with Ink Wash" in body  # the charge it gave back
    assert refund_row_in_csv(client)[4] == "Refund: cancelled by you"


def test_a_worker_failure_gives_the_workers_reason(client, user, generation):
    generation_report(generation_id=generation.pk, status="failed", failure_reason="The GPU fell over.")
    client.force_login(user)
    for body in wallet_pages(client):
        assert "Refund: the image worker failed: The GPU fell over." in body and "generation_failed" not in body
    assert refund_row_in_csv(client)[4] == "Refund: the image worker failed: The GPU fell over."


def test_a_run_that_took_too_long_says_so(client, user, generation, settings):
    settings.GENERATION_TIMEOUT_MINUTES = 15
    generation_report(generation_id=generation.pk, status="processing")
    long_ago = timezone.now() - timedelta(minutes=16)
    Generation.objects.filter(pk=generation.pk).update(created_at=long_ago, started_at=long_ago)
    assert run_sweeps() == 1
    client.force_login(user)
    for body in wallet_pages(client):
        assert "Refund: took longer than 15 minutes" in body
    assert refund_row_in_csv(client)[4] == "Refund: took longer than 15 minutes"


def test_a_job_nobody_took_up_says_so(client, user, generation, settings):
    settings.GENERATION_TIMEOUT_MINUTES = 15
    Generation.objects.filter(pk=generation.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    assert run_sweeps() == 1
    client.force_login(user)
    for body in wallet_pages(client):
        assert "Refund: no image worker took it up within 15 minutes" in body


def test_the_stored_reason_is_a_code_not_words(user, generation):
    """Rendered when read, in the reader's language; the row keeps a code and its parameters."""
    generation_cancel(user=user, generation_id=generation.pk)
    refund = LedgerEntry.objects.get(kind="refund")
    debit = LedgerEntry.objects.get(kind="consume")
    assert "cancelled" in refund.reason and "Refund" not in refund.reason
    assert "Ink Wash" in debit.reason and "Generation with" not in debit.reason
