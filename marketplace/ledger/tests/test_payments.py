import pytest

from marketplace.core.exceptions import ServiceError
from marketplace.core.testing import credit_tokens, run_in_threads
from marketplace.ledger.exceptions import IdempotencyConflict
from marketplace.ledger.models import LedgerEntry, Payment
from marketplace.ledger.payments import ChargeResult, DemoPaymentProvider, Outcome
from marketplace.ledger.services import ledger_credit_earning, ledger_debit, ledger_refund, payment_purchase_pack


class DecliningProvider(DemoPaymentProvider):
    name = "declining"

    def charge(self, *, reference):
        return ChargeResult(status=Outcome.FAILED, reference=reference, failure_message="Card declined")


@pytest.fixture(autouse=True)
def _db(db):
    pass


def test_purchase_records_payment_and_credits_once(user):
    payment = payment_purchase_pack(user_id=user.pk, pack_code="studio", idempotency_key="form-1")
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.provider == "demo" and payment.provider_reference.startswith("demo_")
    assert (payment.tokens, payment.amount_cents) == (500, 2000)
    entry = LedgerEntry.objects.get(payment=payment)
    assert (entry.kind, entry.amount) == ("purchase", 500)
    user.refresh_from_db()
    assert user.token_balance == 500


def test_resubmitted_purchase_form_credits_once(user):
    first = payment_purchase_pack(user_id=user.pk, pack_code="starter", idempotency_key="form-1")
    again = payment_purchase_pack(user_id=user.pk, pack_code="starter", idempotency_key="form-1")
    assert first.pk == again.pk
    assert Payment.objects.count() == 1
    user.refresh_from_db()
    assert user.token_balance == 100


def test_same_form_key_for_another_pack_is_refused(user):
    payment_purchase_pack(user_id=user.pk, pack_code="starter", idempotency_key="form-1")
    with pytest.raises(IdempotencyConflict):
        payment_purchase_pack(user_id=user.pk, pack_code="pro", idempotency_key="form-1")


def test_unknown_pack_is_refused(user):
    with pytest.raises(ServiceError):
        payment_purchase_pack(user_id=user.pk, pack_code="free-money", idempotency_key="form-1")
    assert not Payment.objects.exists()


def test_declined_payment_credits_nothing(user, settings):
    settings.PAYMENT_PROVIDER = "marketplace.ledger.tests.test_payments.DecliningProvider"
    payment = payment_purchase_pack(user_id=user.pk, pack_code="starter", idempotency_key="form-1")
    assert payment.status == Payment.Status.FAILED
    assert (payment.provider, payment.failure_message) == ("declining", "Card declined")
    assert not LedgerEntry.objects.exists()
    user.refresh_from_db()
    assert user.token_balance == 0


@pytest.mark.django_db(transaction=True)
def test_double_click_purchase_concurrently_credits_once(postgres, make_user):
    user = make_user()

    def buy(_):
        return payment_purchase_pack(user_id=user.pk, pack_code="studio", idempotency_key="form-x").pk

    assert len(set(run_in_threads(buy, 8))) == 1
    user.refresh_from_db()
    assert user.token_balance == 500
    assert LedgerEntry.objects.filter(kind="purchase").count() == 1


# --- Artist earnings ----------------------------------------------------------


def test_completed_generation_earns_the_artist_their_share_once(user, artist, style, make_generation, settings):
    settings.ARTIST_SHARE_PERCENT = 70
    generation = make_generation(cost=20, status="completed")
    first = ledger_credit_earning(generation=generation)
    second = ledger_credit_earning(generation=generation)
    assert first.pk == second.pk
    assert (first.user_id, first.kind, first.amount, first.generation_id) == (artist.pk, "earn", 14, generation.pk)
    artist.refresh_from_db()
    assert artist.token_balance == 14


def test_no_earning_from_your_own_style(artist, style, make_generation):
    generation = make_generation(user=artist, cost=20, status="completed")
    assert ledger_credit_earning(generation=generation) is None
    assert not LedgerEntry.objects.filter(kind="earn").exists()


def test_refunded_generation_earns_nothing(user, style, make_generation):
    credit_tokens(user, 50, "p")
    generation = make_generation(cost=20)
    debit = ledger_debit(user_id=user.pk, amount=20, reason="gen", idempotency_key="g", generation=generation)
    ledger_refund(debit_id=debit.pk, reason="generation_failed")
    assert ledger_credit_earning(generation=generation) is None
