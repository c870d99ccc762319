"""Issue 10, part B: artists are paid exactly floor(total × share), never less."""

import io
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from django.db import connections

from marketplace.ledger.models import Earning, EarningAccrual, LedgerEntry
from marketplace.ledger.services import ledger_credit, ledger_credit_earning, ledger_debit, ledger_refund

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def share(settings):
    settings.ARTIST_SHARE_PERCENT = 70


def sell(make_generation, cost, **kwargs):
    return ledger_credit_earning(generation=make_generation(cost=cost, status="completed", **kwargs))


def paid(artist) -> int:
    artist.refresh_from_db()
    return artist.token_balance


def pending(artist) -> int:
    return EarningAccrual.objects.filter(artist=artist).values_list("hundredths", flat=True).first() or 0


def audit_is_clean() -> bool:
    call_command("ledger_audit", stdout=io.StringIO(), stderr=io.StringIO())  # raises CommandError otherwise
    return True


def test_ten_sales_of_a_4_token_image_credit_exactly_28_tokens(artist, make_generation):
    entries = [sell(make_generation, 4) for _ in range(10)]
    assert paid(artist) == 28  # floor(10 × 4 × 0.7); flooring each sale paid 20
    assert pending(artist) == 0
    # 2.8 per sale: 2, 3, 3, 3, 3 (0.8, 1.6→0.6, 1.4→0.4, 1.2→0.2, 1.0→0), twice over.
    assert [entry.amount for entry in entries] == [2, 3, 3, 3, 3] * 2
    assert Earning.objects.filter(artist=artist).count() == 10
    assert audit_is_clean()


def test_hundred_sales_of_a_1_token_style_credit_exactly_70_tokens(artist, make_generation):
    entries = [sell(make_generation, 1) for _ in range(100)]
    assert paid(artist) == 70  # flooring each sale paid 0
    assert pending(artist) == 0
    # A sale whose share leaves the accrual below a whole token writes no EARN row; 70 sales complete one each.
    assert sum(entry is not None for entry in entries) == 70
    assert LedgerEntry.objects.filter(user=artist, kind="earn").count() == 70
    assert audit_is_clean()


def test_after_every_sale_the_artist_has_floor_of_the_total_share(artist, make_generation):
    total = 0
    for cost in [1, 3, 4, 7, 1, 1, 2, 9, 5, 1, 13, 1]:
        sell(make_generation, cost)
        total += cost
        assert paid(artist) == total * 70 // 100
        assert pending(artist) == total * 70 % 100


def test_a_retried_earning_applies_once_even_below_one_token(artist, make_generation):
    generation = make_generation(cost=1, status="completed")
    assert ledger_credit_earning(generation=generation) is None
    assert ledger_credit_earning(generation=generation) is None
    assert (paid(artist), pending(artist)) == (0, 70)

    completing = make_generation(cost=1, status="completed")
    first = ledger_credit_earning(generation=completing)
    assert ledger_credit_earning(generation=completing) == first
    assert (first.amount, first.idempotency_key) == (1, f"earn:{completing.pk}")
    assert (paid(artist), pending(artist)) == (1, 40)


def test_a_refunded_generation_earns_and_accrues_nothing(user, artist, make_generation):
    ledger_credit(user_id=user.pk, amount=50, kind="purchase", reason="pack", idempotency_key="p")
    generation = make_generation(cost=4)
    debit = ledger_debit(user_id=user.pk, amount=4, reason="gen", idempotency_key="g", generation=generation)
    ledger_refund(debit_id=debit.pk, reason="generation_failed")
    assert ledger_credit_earning(generation=generation) is None
    assert (paid(artist), pending(artist)) == (0, 0)
    assert not Earning.objects.exists()


def test_the_remainder_is_kept_per_artist(make_user, make_style, make_generation, artist):
    other = make_user(username="ines")
    sell(make_generation, 1)  # Mira: 0.70
    sell(make_generation, 1, style=make_style(artist=other))  # Inès: 0.70, not Mira's second token
    assert (paid(artist), pending(artist)) == (0, 70)
    assert (paid(other), pending(other)) == (0, 70)


def test_own_style_earns_nothing(artist, make_generation):
    assert sell(make_generation, 4, user=artist) is None
    assert not EarningAccrual.objects.exists() and not Earning.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_sales_lose_no_hundredths(postgres, make_user, make_style, make_generation, settings):
    settings.ARTIST_SHARE_PERCENT = 70
    artist = make_user(username="mira2", role="artist")
    style = make_style(artist=artist)
    generations = [make_generation(style=style, cost=1, status="completed") for _ in range(47)]
    barrier = threading.Barrier(16)

    def earn(i):
        if i < 16:
            barrier.wait()
        try:
            # Every sale twice, at once: the second must change nothing.
            return ledger_credit_earning(generation=generations[i % len(generations)])
        finally:
            connections.close_all()

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(earn, range(2 * len(generations))))
    assert paid(artist) == 32  # floor(47 × 0.7) = floor(32.9)
    assert pending(artist) == 90
    assert Earning.objects.filter(artist=artist).count() == 47
    assert audit_is_clean()
