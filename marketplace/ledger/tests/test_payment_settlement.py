"""Issue 10, part A: a payment can never be paid but not credited.

The provider is ledger/tests/providers.ScriptedProvider; "the process dies" is
ProcessDied, raised right after the provider acted.
"""

import io
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from marketplace.ledger.audit import ledger_find_broken_accounts
from marketplace.ledger.models import LedgerEntry, Payment
from marketplace.ledger.payments import DemoPaymentProvider
from marketplace.ledger.services import payment_purchase_pack, payment_reconcile_pending
from marketplace.ledger.tests.providers import PATH, ProcessDied, ScriptedProvider

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def provider(settings):
    settings.PAYMENT_PROVIDER = PATH
    settings.PAYMENT_WEBHOOK_SECRET = "whsec_test"
    ScriptedProvider.reset()
    yield ScriptedProvider
    ScriptedProvider.reset()


def buy(user, key="form-1", pack="studio"):
    return payment_purchase_pack(user_id=user.pk, pack_code=pack, idempotency_key=key)


def buy_and_die(user, key="form-1"):
    with pytest.raises(ProcessDied):
        buy(user, key)
    return Payment.objects.get(idempotency_key=f"purchase:{key}")


def age(payment, **delta):
    """Pretend the payment was made `delta` ago (the sweep only asks about payments older than a minute)."""
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(**delta))


def credits(user):
    return list(LedgerEntry.objects.filter(user=user).values_list("kind", "amount", "idempotency_key"))


def balance(user):
    user.refresh_from_db()
    return user.token_balance


def webhook(client, event, *, provider="scripted", secret="whsec_test", timestamp=None, body=None):
    signed_body, headers = DemoPaymentProvider.signed_event(event, secret=secret, timestamp=timestamp)
    return client.post(
        reverse("payment-webhook", kwargs={"provider": provider}), data=body or signed_body,
        content_type="application/json", headers=headers,
    )


def event(payment, type="payment.succeeded", event_id="evt_1", **data):
    return {"id": event_id, "type": type, "data": {
        "reference": payment.provider_reference, "amount_cents": payment.amount_cents, "currency": payment.currency,
        **data,
    }}


# --- The state machine's happy path --------------------------------------------------------------------------


def test_the_reference_is_committed_before_the_customer_is_charged(user, provider, monkeypatch):
    seen = {}
    charge = ScriptedProvider.charge

    def spy(self, *, reference):
        # Read on another connection would need a transactional test; the row being there with the
        # reference, before charge() runs, is what a later sweep relies on.
        seen["stored"] = Payment.objects.values_list("provider_reference", "status").get()
        return charge(self, reference=reference)

    monkeypatch.setattr(ScriptedProvider, "charge", spy)
    payment = buy(user)
    assert seen["stored"] == (payment.provider_reference, "pending")
    assert payment.provider_reference.startswith("pi_")
    assert (payment.provider, payment.status, payment.settled_at is not None) == ("scripted", "succeeded", True)
    assert credits(user) == [("purchase", 500, f"payment:{payment.pk}")]


# --- The process dies between charge and credit ----------------------------------------------------------------


def test_process_dying_right_after_the_charge_is_credited_exactly_once_by_the_sweep(user, provider):
    provider.die_in = "charge"
    payment = buy_and_die(user)
    assert payment.status == "pending" and payment.provider_reference in provider.charges  # paid…
    assert credits(user) == []  # …but not credited, yet

    assert payment_reconcile_pending() == 0  # less than a minute old: the answer may still come
    age(payment, minutes=2)
    assert payment_reconcile_pending() == 1
    assert payment_reconcile_pending() == 0
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert credits(user) == [("purchase", 500, f"payment:{payment.pk}")]
    assert balance(user) == 500
    assert ledger_find_broken_accounts() == []


def test_process_dying_inside_the_credit_leaves_the_payment_pending_and_the_sweep_credits_once(user, provider,
                                                                                             monkeypatch):
    import marketplace.ledger.services as services

    real_credit = services.ledger_credit

    def die(**kwargs):
        raise ProcessDied

    monkeypatch.setattr(services, "ledger_credit", die)
    payment = buy_and_die(user)
    # The status and the credit commit together: neither happened.
    assert payment.status == "pending" and credits(user) == []

    monkeypatch.setattr(services, "ledger_credit", real_credit)
    age(payment, minutes=2)
    assert payment_reconcile_pending() == 1
    assert payment_reconcile_pending() == 0
    assert credits(user) == [("purchase", 500, f"payment:{payment.pk}")]
    assert ledger_find_broken_accounts() == []


def test_the_dispatcher_runs_the_payment_sweep(user, provider):
    provider.die_in = "charge"
    payment = buy_and_die(user)
    age(payment, minutes=2)
    call_command("run_dispatcher", "--once", stdout=io.StringIO())
    assert balance(user) == 500
    call_command("run_dispatcher", "--once", stdout=io.StringIO())
    assert credits(user) == [("purchase", 500, f"payment:{payment.pk}")]


def test_resubmitting_the_form_of_an_interrupted_purchase_does_not_charge_again(user, provider):
    provider.die_in = "charge"
    payment = buy_and_die(user)
    provider.die_in = ""
    again = buy(user)
    assert again.pk == payment.pk and again.status == "pending"
    assert len(provider.charges) == 1 and Payment.objects.count() == 1


def test_process_dying_before_the_reference_was_stored_expires_uncharged(user, provider):
    provider.die_in = "create_intent"
    payment = buy_and_die(user)
    assert (payment.status, payment.provider_reference) == ("pending", "")
    age(payment, minutes=2)
    assert payment_reconcile_pending() == 1
    payment.refresh_from_db()
    assert payment.status == "expired" and "Nothing was charged" in payment.failure_message
    assert provider.charges == {} and credits(user) == []


def test_an_unanswered_payment_waits_then_expires_after_the_long_limit_and_a_late_success_still_credits(
    user, provider, client
):
    provider.die_in = "create_intent"  # the intent exists at the provider, but was never charged…
    with pytest.raises(ProcessDied):
        buy(user)
    payment = Payment.objects.get()
    reference = next(iter(provider.intents))
    Payment.objects.filter(pk=payment.pk).update(provider_reference=reference)  # …and the reference was stored
    payment.refresh_from_db()

    age(payment, minutes=30)
    assert payment_reconcile_pending() == 0  # the provider says "pending": ask again later
    payment.refresh_from_db()
    assert payment.status == "pending"

    age(payment, hours=25)
    assert payment_reconcile_pending() == 1
    payment.refresh_from_db()
    assert payment.status == "expired" and credits(user) == []

    # Money that does come in is never kept without its tokens.
    assert webhook(client, event(payment)).status_code == 200
    payment.refresh_from_db()
    assert payment.status == "succeeded" and balance(user) == 500


def test_a_provider_timeout_leaves_the_payment_being_confirmed(user, provider):
    provider.unreachable_on_charge = True
    payment = buy(user)
    assert payment.status == "pending" and payment.provider_reference
    assert credits(user) == []


# --- A failed charge -------------------------------------------------------------------------------------------


def test_failed_charge_credits_nothing_and_keeps_the_providers_reason(user, provider):
    provider.answer, provider.failure_message = "failed", "Your card was declined."
    payment = buy(user)
    assert (payment.status, payment.failure_message) == ("failed", "Your card was declined.")
    assert credits(user) == [] and balance(user) == 0
    # A late or repeated "succeeded" cannot turn a settled failure into tokens.
    age(payment, minutes=2)
    assert payment_reconcile_pending() == 0
    assert credits(user) == []


# --- The webhook ----------------------------------------------------------------------------------------------


@pytest.fixture
def pending_payment(user, provider):
    provider.unreachable_on_charge = True
    return buy(user)


def test_webhook_credits_once_and_the_same_event_twice_is_harmless(client, user, pending_payment):
    for _ in range(2):
        response = webhook(client, event(pending_payment))
        assert response.status_code == 200
        assert response.json() == {"payment": pending_payment.pk, "status": "succeeded"}
    assert credits(user) == [("purchase", 500, f"payment:{pending_payment.pk}")]
    assert balance(user) == 500


def test_webhook_reports_a_failure_with_its_message(client, user, pending_payment):
    response = webhook(client, event(pending_payment, type="payment.failed", failure_message="Insufficient funds."))
    assert response.status_code == 200
    pending_payment.refresh_from_db()
    assert (pending_payment.status, pending_payment.failure_message) == ("failed", "Insufficient funds.")
    # A success arriving after the failure changes nothing.
    assert webhook(client, event(pending_payment, event_id="evt_2")).json()["status"] == "failed"
    assert credits(user) == []


@pytest.mark.parametrize("tamper", ["wrong secret", "changed body", "stale", "future", "no header", "garbage header"])
def test_webhook_with_a_bad_signature_is_refused_and_changes_nothing(client, user, pending_payment, tamper):
    url = reverse("payment-webhook", kwargs={"provider": "scripted"})
    payload = event(pending_payment)
    if tamper == "wrong secret":
        response = webhook(client, payload, secret="whsec_guess")
    elif tamper == "changed body":
        body, headers = DemoPaymentProvider.signed_event(payload, secret="whsec_test")
        forged = body.replace(b'"amount_cents": 2000', b'"amount_cents": 2001')
        assert forged != body
        response = client.post(url, data=forged, content_type="application/json", headers=headers)
    elif tamper == "stale":
        response = webhook(client, payload, timestamp=int(time.time()) - 600)
    elif tamper == "future":
        response = webhook(client, payload, timestamp=int(time.time()) + 600)
    elif tamper == "no header":
        response = client.post(url, data=json.dumps(payload), content_type="application/json")
    else:
        response = client.post(url, data=json.dumps(payload), content_type="application/json",
                               headers={"Atelier-Signature": "t=abc,v1="})
    assert response.status_code == 400
    assert response.json()["code"] == "bad_signature"
    pending_payment.refresh_from_db()
    assert pending_payment.status == "pending" and credits(user) == []


def test_webhook_refuses_what_it_does_not_know(client, user, pending_payment, settings):
    assert webhook(client, event(pending_payment), provider="stripe").status_code == 404
    assert webhook(client, event(pending_payment, type="payment.refunded")).json()["code"] == "unknown_event"
    unknown = event(pending_payment, reference="pi_nobody")
    assert webhook(client, unknown).status_code == 404
    wrong_amount = event(pending_payment, amount_cents=1)
    response = webhook(client, wrong_amount)
    assert (response.status_code, response.json()["code"]) == (400, "amount_mismatch")
    assert webhook(client, {"id": "evt_x"}).status_code == 400  # signed, but not an event
    assert client.get(reverse("payment-webhook", kwargs={"provider": "scripted"})).status_code == 405
    settings.PAYMENT_WEBHOOK_SECRET = ""  # a deployment that never set it refuses everything
    assert webhook(client, event(pending_payment), secret="").status_code == 400
    pending_payment.refresh_from_db()
    assert pending_payment.status == "pending" and credits(user) == []


def test_demo_provider_settles_by_its_immediate_answer_and_by_the_sweep(user, settings, monkeypatch):
    settings.PAYMENT_PROVIDER = "marketplace.ledger.payments.DemoPaymentProvider"
    payment = buy(user, key="demo-1")
    assert (payment.provider, payment.status) == ("demo", "succeeded")

    def lost(self, *, reference):
        raise ProcessDied

    monkeypatch.setattr(DemoPaymentProvider, "charge", lost)
    interrupted = buy_and_die(user, key="demo-2")
    age(interrupted, minutes=2)
    assert payment_reconcile_pending() == 1
    assert balance(user) == 1000


# --- Racing settlements (PostgreSQL) ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_webhook_and_sweep_racing_credit_once(postgres, make_user, provider):
    user = make_user()
    provider.die_in = "charge"
    payment = buy_and_die(user)
    age(payment, minutes=2)
    body, headers = DemoPaymentProvider.signed_event(event(payment), secret="whsec_test")
    url = reverse("payment-webhook", kwargs={"provider": "scripted"})
    barrier = threading.Barrier(12)

    def settle(i):
        barrier.wait()
        try:
            if i % 2:
                return Client().post(url, data=body, content_type="application/json", headers=headers).status_code
            return payment_reconcile_pending()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(settle, range(12)))
    assert [results[i] for i in range(1, 12, 2)] == [200] * 6
    assert sum(results[i] for i in range(0, 12, 2)) <= 1  # one sweep settled it, or a webhook did first
    assert credits(user) == [("purchase", 500, f"payment:{payment.pk}")]
    assert balance(user) == 500
    assert ledger_find_broken_accounts() == []
