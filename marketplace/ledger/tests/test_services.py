import io
import multiprocessing
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.db.models import Sum

from marketplace.accounts.models import User
from marketplace.core.testing import credit_tokens, run_in_threads
from marketplace.ledger.exceptions import IdempotencyConflict, InsufficientTokens
from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.services import ledger_credit, ledger_debit, ledger_refund
from marketplace.ledger.tests.workers import debit_many, init_child


def balance_matches_rows(user) -> bool:
    user.refresh_from_db()
    total = LedgerEntry.objects.filter(user=user).aggregate(total=Sum("amount"))["total"] or 0
    return user.token_balance == total


@pytest.fixture(autouse=True)
def _db(db):
    pass


def test_credit_adds_tokens_with_a_row(user):
    entry = credit_tokens(user, 250)
    user.refresh_from_db()
    assert user.token_balance == 250
    assert (entry.kind, entry.amount, entry.balance_after) == ("purchase", 250, 250)


def test_debit_takes_tokens(user):
    credit_tokens(user, 20)
    entry = ledger_debit(user_id=user.pk, amount=7, reason="Generation", idempotency_key="g1")
    user.refresh_from_db()
    assert user.token_balance == 13
    assert (entry.kind, entry.amount, entry.balance_after) == ("consume", -7, 13)


def test_insufficient_balance_raises_and_changes_nothing(user):
    credit_tokens(user, 5)
    with pytest.raises(InsufficientTokens) as excinfo:
        ledger_debit(user_id=user.pk, amount=6, reason="Generation", idempotency_key="g1")
    assert "needs 6 tokens" in str(excinfo.value) and "balance is 5" in str(excinfo.value)
    user.refresh_from_db()
    assert user.token_balance == 5
    assert LedgerEntry.objects.filter(user=user).count() == 1


def test_retried_credit_applies_once_and_returns_first_result(user):
    first = credit_tokens(user, 100, key="pay:1")
    again = credit_tokens(user, 100, key="pay:1")
    assert again.pk == first.pk
    user.refresh_from_db()
    assert user.token_balance == 100


def test_same_key_with_other_parameters_is_an_error(user):
    credit_tokens(user, 100, key="pay:1")
    with pytest.raises(IdempotencyConflict):
        credit_tokens(user, 500, key="pay:1")


def test_refund_gives_back_exactly_the_debit_once(user):
    credit_tokens(user, 10)
    debit = ledger_debit(user_id=user.pk, amount=4, reason="Generation", idempotency_key="g1")
    first = ledger_refund(debit_id=debit.pk, reason="generation_failed")
    second = ledger_refund(debit_id=debit.pk, reason="generation_failed")
    assert first.pk == second.pk
    assert (first.kind, first.amount, first.refund_of_id) == ("refund", 4, debit.pk)
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    assert balance_matches_rows(user) and user.token_balance == 10


def test_only_debits_can_be_refunded(user):
    credit = credit_tokens(user, 10)
    with pytest.raises(ValueError):
        ledger_refund(debit_id=credit.pk, reason="nope")


def test_ledger_audit_passes_then_finds_a_corrupted_balance(user, make_user):
    credit_tokens(user, 30)
    other = make_user()
    credit_tokens(other, 5, key="other")
    call_command("ledger_audit", stdout=io.StringIO())

    User.objects.filter(pk=user.pk).update(token_balance=31)  # corruption outside the ledger
    err = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("ledger_audit", stdout=io.StringIO(), stderr=err)
    assert excinfo.value.returncode == 1
    assert f"user {user.pk} ({user.username}): balance 31 != ledger sum 30" in err.getvalue()
    assert other.username not in err.getvalue()


# --- Concurrency (PostgreSQL: real row locks, real parallel transactions) ---------


@pytest.mark.django_db(transaction=True)
def test_100_simultaneous_debits_lose_no_update(postgres, make_user):
    user = make_user()
    credit_tokens(user, 1000)

    def debit(i):
        return ledger_debit(user_id=user.pk, amount=3, reason="Generation", idempotency_key=f"t:{i}")

    entries = run_in_threads(debit, 100, workers=10)  # the first wave of 10 starts together
    assert len({e.pk for e in entries}) == 100
    user.refresh_from_db()
    assert user.token_balance == 1000 - 300
    assert LedgerEntry.objects.filter(user=user, kind="consume").count() == 100
    assert balance_matches_rows(user)
    # balance_after is a strict sequence: every change saw the previous one
    afters = sorted(LedgerEntry.objects.filter(user=user, kind="consume").values_list("balance_after", flat=True))
    assert afters == list(range(700, 1000, 3))


@pytest.mark.django_db(transaction=True)
def test_1000_debits_from_several_processes_never_overdraw(postgres, make_user):
    user = make_user()
    credit_tokens(user, 1000)
    db_name = connection.settings_dict["NAME"]
    lowest_seen = []
    done = threading.Event()

    def watch():
        seen = 1000
        while not done.is_set():
            seen = min(seen, User.objects.values_list("token_balance", flat=True).get(pk=user.pk))
        lowest_seen.append(seen)
        connections.close_all()

    watcher = threading.Thread(target=watch)
    watcher.start()
    ctx = multiprocessing.get_context("spawn")
    try:
        with ctx.Pool(4, initializer=init_child, initargs=(db_name,)) as pool:
            results = pool.starmap(debit_many, [(user.pk, 250, 7, f"p{n}") for n in range(4)])
    finally:
        done.set()
        watcher.join()

    assert sum(ok for ok, _ in results) == 142
    assert sum(refused for _, refused in results) == 858
    user.refresh_from_db()
    assert user.token_balance == 6
    assert balance_matches_rows(user)
    assert lowest_seen[0] >= 0
    assert not LedgerEntry.objects.filter(user=user, balance_after__lt=0).exists()


@pytest.mark.django_db(transaction=True)
def test_same_key_50_times_concurrently_applies_once(postgres, make_user):
    user = make_user()

    def credit(_):
        entry = ledger_credit(user_id=user.pk, amount=500, kind="purchase", reason="pack", idempotency_key="pay:42")
        return (entry.pk, entry.amount, entry.balance_after)

    results = run_in_threads(credit, 50)
    assert len(set(results)) == 1
    assert LedgerEntry.objects.filter(user=user).count() == 1
    user.refresh_from_db()
    assert user.token_balance == 500


@pytest.mark.django_db(transaction=True)
def test_refund_requested_twice_concurrently_writes_one_row(postgres, make_user):
    user = make_user()
    credit_tokens(user, 10)
    debit = ledger_debit(user_id=user.pk, amount=4, reason="Generation", idempotency_key="g1")

    def refund(_):
        return ledger_refund(debit_id=debit.pk, reason="generation_failed").pk

    assert len(set(run_in_threads(refund, 2))) == 1
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    assert balance_matches_rows(user) and user.token_balance == 10


# --- ledger_debit's two-statement path (conditional UPDATE, then INSERT; the key checked by its index) ---


def test_debit_is_two_statements(user, django_assert_num_queries):
    credit_tokens(user, 20)
    # Inside the test's transaction, atomic() adds a SAVEPOINT and its RELEASE around them.
    with django_assert_num_queries(4) as captured:
        ledger_debit(user_id=user.pk, amount=7, reason="Generation", idempotency_key="g1")
    statements = [query["sql"].split()[0] for query in captured.captured_queries]
    assert statements == ["SAVEPOINT", "UPDATE", "INSERT", "RELEASE"]


def test_retried_debit_takes_once_and_returns_the_first_entry(user):
    credit_tokens(user, 20)
    first = ledger_debit(user_id=user.pk, amount=7, reason="Generation", idempotency_key="g1")
    again = ledger_debit(user_id=user.pk, amount=7, reason="Generation", idempotency_key="g1")
    assert again.pk == first.pk and again.balance_after == 13
    user.refresh_from_db()
    assert user.token_balance == 13 and balance_matches_rows(user)


def test_retried_debit_after_the_balance_ran_low_returns_the_first_entry(user):
    credit_tokens(user, 10)
    first = ledger_debit(user_id=user.pk, amount=7, reason="Generation", idempotency_key="g1")
    again = ledger_debit(user_id=user.pk, amount=7, reason="Generation", idempotency_key="g1")
    assert again.pk == first.pk
    user.refresh_from_db()
    assert user.token_balance == 3


def test_debit_key_reused_for_another_amount_is_an_error_and_takes_nothing(user):
    credit_tokens(user, 20)
    ledger_debit(user_id=user.pk, amount=7, reason="Generation", idempotency_key="g1")
    with pytest.raises(IdempotencyConflict):
        ledger_debit(user_id=user.pk, amount=5, reason="Generation", idempotency_key="g1")
    user.refresh_from_db()
    assert user.token_balance == 13 and balance_matches_rows(user)


def test_retried_debit_inside_a_callers_transaction_keeps_it_usable(user):
    credit_tokens(user, 20)
    with transaction.atomic():
        ledger_debit(user_id=user.pk, amount=7, reason="Generation", idempotency_key="g1")
        ledger_debit(user_id=user.pk, amount=7, reason="Generation", idempotency_key="g1")
        ledger_debit(user_id=user.pk, amount=2, reason="Generation", idempotency_key="g2")
    user.refresh_from_db()
    assert user.token_balance == 11 and balance_matches_rows(user)


@pytest.mark.django_db(transaction=True)
def test_same_debit_key_20_times_concurrently_takes_once(postgres, make_user):
    user = make_user()
    credit_tokens(user, 100)

    def debit(_):
        entry = ledger_debit(user_id=user.pk, amount=7, reason="Generation", idempotency_key="gen:1")
        return (entry.pk, entry.amount, entry.balance_after)

    assert len(set(run_in_threads(debit, 20))) == 1
    user.refresh_from_db()
    assert user.token_balance == 93 and balance_matches_rows(user)
