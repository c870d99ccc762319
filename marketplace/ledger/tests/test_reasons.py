"""Ledger reasons: stored as a code with parameters, shown as a sentence; old rows still read sensibly."""

import pytest
from django.urls import reverse

from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.reasons import REFUND_CANCELLED, ledger_reason, ledger_reason_text
from marketplace.ledger.services import ledger_credit, ledger_debit, ledger_refund

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def credit(user, reason="Token pack") -> LedgerEntry:
    return ledger_credit(user_id=user.pk, amount=5, kind="purchase", reason=reason, idempotency_key=reason)


def old_refund(user, generation=None, *, reason="generation_failed", key="c1") -> LedgerEntry:
    """A refund as rows were written before reasons were codes."""
    debit = ledger_debit(user_id=user.pk, amount=5, reason="Generation with Ink Wash", idempotency_key=key,
                         generation=generation)
    return ledger_refund(debit_id=debit.pk, reason=reason)


def test_old_refund_rows_are_told_from_their_generation(client, user, fund, make_generation):
    fund(user, 50)
    cancelled = make_generation(status="cancelled", failure_reason="Cancelled by you.")
    failed = make_generation(status="failed", failure_reason="Out of memory.")
    old_refund(user, cancelled, key="c1")
    old_refund(user, failed, key="c2")
    old_refund(user, None, key="c3")
    client.force_login(user)
    for headers in ({}, HX):
        body = client.get(reverse("ledger:wallet"), **headers).content.decode()
        assert "generation_failed" not in body
        assert "Refund: cancelled by you" in body
        assert "Refund: the image worker failed: Out of memory." in body
        assert "Refund: the image failed" in body  # no generation to ask


def test_free_text_reasons_are_shown_as_written(user):
    entry = credit(user, "Starter pack")
    assert ledger_reason_text(entry) == "Starter pack"


def test_an_unknown_code_falls_back_to_the_kind(user, fund):
    fund(user, 10)
    debit = ledger_debit(user_id=user.pk, amount=5, reason='{"code": "gone.away"}', idempotency_key="k")
    assert ledger_reason_text(debit) == "Generation"
    refund = ledger_refund(debit_id=debit.pk, reason=ledger_reason(REFUND_CANCELLED))
    assert ledger_reason_text(refund) == "Refund: cancelled by you"


def test_a_long_parameter_is_shortened_to_fit_the_column(user):
    reason = ledger_reason("generation.charge", style="“" + "x" * 300)
    assert len(reason) <= LedgerEntry._meta.get_field("reason").max_length
    entry = credit(user)
    entry.reason = reason
    assert ledger_reason_text(entry).startswith("Generation with “xxx") and ledger_reason_text(entry).endswith("…")


def test_only_artists_are_offered_their_earnings(client, user, artist):
    client.force_login(user)
    assert "See what your styles have earned" not in client.get(reverse("ledger:wallet")).content.decode()
    client.force_login(artist)
    body = client.get(reverse("ledger:wallet")).content.decode()
    assert "See what your styles have earned" in body and reverse("ledger:earnings") in body
