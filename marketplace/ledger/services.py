"""The only code that changes a token balance.

Each function is one transaction: lock the user's row, look up the
idempotency key (after the lock, so concurrent retries serialise and see the
first result), check, append a LedgerEntry and store the new balance.
ledger_debit, the hot path, locks, checks and takes in one conditional
UPDATE and lets the key's unique index catch a retry (see its docstring).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.core.exceptions import ServiceError
from marketplace.jobs.sweeps import register_sweep
from marketplace.ledger.exceptions import IdempotencyConflict, InsufficientTokens
from marketplace.ledger.models import Earning, EarningAccrual, LedgerEntry, Payment
from marketplace.ledger.payments import (
    TOKEN_PACKS,
    ChargeResult,
    Outcome,
    PaymentProviderError,
    get_payment_provider,
)

logger = logging.getLogger(__name__)

User = get_user_model()

# A payment's immediate answer normally arrives within seconds; after this the sweep asks the provider.
PAYMENT_RECONCILE_AFTER = timedelta(minutes=1)
# A provider that has not settled a payment after this never will: it expires (a late success still credits).
PAYMENT_EXPIRE_AFTER = timedelta(hours=24)
PAYMENT_RECONCILE_BATCH = 100

CREDIT_KINDS = {LedgerEntry.Kind.WELCOME, LedgerEntry.Kind.PURCHASE, LedgerEntry.Kind.EARN, LedgerEntry.Kind.ADJUSTMENT}


def _existing(*, key: str, user_id: int, kind: str, amount: int) -> LedgerEntry | None:
    entry = LedgerEntry.objects.filter(idempotency_key=key).first()
    if entry is not None and (entry.user_id, entry.kind, entry.amount) != (user_id, kind, amount):
        raise IdempotencyConflict(_("This request was already used for a different token movement."))
    return entry


def _append(*, user, kind: str, amount: int, reason: str, key: str, **refs) -> LedgerEntry:
    user.token_balance += amount
    user.save(update_fields=["token_balance"])
    return LedgerEntry.objects.create(
        user=user, kind=kind, amount=amount, balance_after=user.token_balance, reason=reason, idempotency_key=key,
        **refs,
    )


def ledger_credit(
    *,
    user_id: int,
    amount: int,
    kind: str,
    reason: str,
    idempotency_key: str,
    payment: Payment | None = None,
    generation=None,
    created_by=None,
) -> LedgerEntry:
    """Add tokens. Applies once per idempotency key; a retry returns the first entry."""
    if kind not in CREDIT_KINDS:
        raise ValueError(f"{kind!r} is not a credit kind")
    if amount <= 0:
        raise ValueError("a credit must be positive")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        if entry := _existing(key=idempotency_key, user_id=user_id, kind=kind, amount=amount):
            return entry
        return _append(
            user=user, kind=kind, amount=amount, reason=reason, key=idempotency_key,
            payment=payment, generation=generation, created_by=created_by,
        )


def ledger_debit(
    *, user_id: int, amount: int, reason: str, idempotency_key: str, generation=None,
    kind: str = LedgerEntry.Kind.CONSUME, created_by=None,
) -> LedgerEntry:
    """Take tokens. Raises InsufficientTokens, changing nothing, when the balance is short.

    The hot path is two statements: a conditional UPDATE that locks, checks
    and takes in one step, then the ledger row. The idempotency key is
    checked by its unique index rather than by a query up front: a retry's
    insert fails, its savepoint (with its UPDATE) rolls back, and the first
    entry is returned.
    """
    if amount <= 0:
        raise ValueError("a debit amount must be positive")
    try:
        with transaction.atomic():
            balance = _take(user_id=user_id, amount=amount)
            if balance is not None:
                return _insert(LedgerEntry(
                    user_id=user_id, kind=kind, amount=-amount, balance_after=balance, reason=reason,
                    idempotency_key=idempotency_key, generation=generation, created_by=created_by,
                ))
    except IntegrityError:
        if entry := _existing(key=idempotency_key, user_id=user_id, kind=kind, amount=-amount):
            return entry
        raise
    # Short: unless this is a retry of a debit that went through before the balance ran low.
    if entry := _existing(key=idempotency_key, user_id=user_id, kind=kind, amount=-amount):
        return entry
    available = User.objects.values_list("token_balance", flat=True).get(pk=user_id)
    raise InsufficientTokens(needed=amount, available=available)


def _take(*, user_id: int, amount: int) -> int | None:
    """Subtract amount if the balance covers it and return the new balance, else None.

    Concurrent takes queue on the row lock and each re-checks the condition
    against the committed balance, so the balance never goes below zero.
    """
    quote = connection.ops.quote_name
    table, pk, balance = quote(User._meta.db_table), quote(User._meta.pk.column), quote("token_balance")
    with connection.cursor() as cursor:
        # Raw because QuerySet.update() cannot return the new value; RETURNING works on PostgreSQL and SQLite.
        cursor.execute(
            f"UPDATE {table} SET {balance} = {balance} - %s WHERE {pk} = %s AND {balance} >= %s RETURNING {balance}",
            [amount, user_id, amount],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _insert(entry: LedgerEntry) -> LedgerEntry:
    """Save a new entry in one INSERT without Model.save()'s machinery.

    Under concurrent load the ORM's save path was the largest CPU cost of a
    debit (bench/ledger, docs/performance.md). The columns and their values
    come from the model's own fields, so a field added later is not missed.
    """
    fields = [field for field in LedgerEntry._meta.concrete_fields if not field.primary_key]
    values = [field.get_db_prep_save(field.pre_save(entry, add=True), connection) for field in fields]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({}) RETURNING {}".format(
        quote(LedgerEntry._meta.db_table), ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)), quote(LedgerEntry._meta.pk.column),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        entry.pk = cursor.fetchone()[0]
    entry._state.adding = False
    entry._state.db = connection.alias
    return entry


def ledger_adjust(*, user_id: int, amount: int, reason: str, staff_user, idempotency_key: str) -> LedgerEntry:
    """A staff correction, positive or negative, recorded with who made it."""
    if amount > 0:
        return ledger_credit(
            user_id=user_id, amount=amount, kind=LedgerEntry.Kind.ADJUSTMENT, reason=reason,
            idempotency_key=idempotency_key, created_by=staff_user,
        )
    return ledger_debit(
        user_id=user_id, amount=-amount, reason=reason, idempotency_key=idempotency_key,
        kind=LedgerEntry.Kind.ADJUSTMENT, created_by=staff_user,
    )


def ledger_refund(*, debit_id: int, reason: str) -> LedgerEntry:
    """Give back exactly what a debit took, at most once.

    The refund's key is derived from the debit, and refund_of is unique in
    the database, so concurrent or repeated requests yield one refund row.
    """
    with transaction.atomic():
        debit = LedgerEntry.objects.get(pk=debit_id)
        if debit.amount >= 0 or debit.kind != LedgerEntry.Kind.CONSUME:
            raise ValueError("only a consume debit can be refunded")
        user = User.objects.select_for_update().get(pk=debit.user_id)
        key = f"refund:{debit.pk}"
        if entry := _existing(key=key, user_id=user.pk, kind=LedgerEntry.Kind.REFUND, amount=-debit.amount):
            return entry
        return _append(
            user=user, kind=LedgerEntry.Kind.REFUND, amount=-debit.amount, reason=reason, key=key,
            refund_of=debit, generation_id=debit.generation_id,
        )


def payment_purchase_pack(*, user_id: int, pack_code: str, idempotency_key: str) -> Payment:
    """Buy a token pack: record the payment, register it at the provider, charge, settle.

    Three steps, each of which may be the last one a dying process takes:

    1. The Payment row is inserted under the form's idempotency key (a
       double-submitted form finds it instead of charging again).
    2. The provider's reference is stored in its own committed transaction
       before any money moves, so every charge has a reference we can ask
       about later.
    3. The charge; its immediate answer is handed to payment_fulfil.

    A payment left pending by an interruption after step 2 is settled by the
    provider's webhook or by payment_reconcile_pending; one interrupted
    before step 2 was never charged and expires. Returns the Payment
    (succeeded, failed, or still pending while being confirmed).
    """
    pack = TOKEN_PACKS.get(pack_code)
    if pack is None:
        raise ServiceError(_("That token pack does not exist."), code="unknown_pack")
    provider = get_payment_provider()
    with transaction.atomic():
        payment, created = Payment.objects.get_or_create(
            idempotency_key=f"purchase:{idempotency_key}",
            defaults={
                "user_id": user_id, "provider": provider.name, "pack": pack.code, "tokens": pack.tokens,
                "amount_cents": pack.price_cents, "currency": pack.currency,
            },
        )
    if (payment.user_id, payment.pack) != (user_id, pack.code):
        raise IdempotencyConflict(_("This purchase form was already used for another purchase."))
    if not created:
        return payment

    try:
        reference = provider.create_intent(
            amount_cents=pack.price_cents, currency=pack.currency,
            description=f"Atelier {pack.tokens} tokens", idempotency_key=payment.idempotency_key,
        )
    except PaymentProviderError:
        logger.warning("payment %s: the provider did not register it; it will expire uncharged", payment.pk)
        return payment
    with transaction.atomic():
        # Only a payment still pending without a reference: the sweep may have expired it meanwhile,
        # and then it must not be charged.
        stored = Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING, provider_reference="").update(
            provider_reference=reference
        )
    if not stored:
        return Payment.objects.get(pk=payment.pk)

    try:
        result = provider.charge(reference=reference)
    except PaymentProviderError:
        logger.warning("payment %s (%s): no answer from the provider; left for the webhook or the sweep",
                       payment.pk, reference)
        return Payment.objects.get(pk=payment.pk)
    return payment_fulfil(payment_id=payment.pk, outcome=result)[0]


def payment_fulfil(*, payment_id: int, outcome: ChargeResult) -> tuple[Payment, bool]:
    """Settle a payment from the provider's answer: the one place a payment's status changes.

    Returns (payment, changed).

    Used by the purchase's immediate answer, the webhook and the sweep, which
    may race: the Payment row is locked first, and a settled payment only
    moves along Payment.TRANSITIONS, so an answer applies once and a repeat
    (or a stale "pending") changes nothing. Success credits the pack's
    tokens under the key payment:<pk>, in the same transaction.
    """
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if outcome.status not in Payment.TRANSITIONS.get(payment.status, ()):
            return payment, False
        payment.status = outcome.status
        payment.failure_message = "" if outcome.succeeded else outcome.failure_message[:200]
        payment.settled_at = timezone.now()
        payment.save(update_fields=["status", "failure_message", "settled_at"])
        if outcome.succeeded:
            pack = TOKEN_PACKS.get(payment.pack)
            ledger_credit(
                user_id=payment.user_id, amount=payment.tokens, kind=LedgerEntry.Kind.PURCHASE,
                reason=_("Bought the %(pack)s pack") % {"pack": pack.label if pack else payment.pack},
                idempotency_key=f"payment:{payment.pk}", payment=payment,
            )
        return payment, True


@register_sweep
def payment_reconcile_pending() -> int:
    """Ask the provider about payments pending for longer than a minute and settle them; returns how many.

    A payment without a reference after that minute was never charged (the
    charge only follows a stored reference) and expires. One the provider
    still has no final answer for after PAYMENT_EXPIRE_AFTER expires too.
    """
    now = timezone.now()
    settled = 0
    stale = Payment.objects.filter(status=Payment.Status.PENDING, created_at__lt=now - PAYMENT_RECONCILE_AFTER)
    for payment_id, provider_name, reference, created_at in stale.values_list(
        "pk", "provider", "provider_reference", "created_at"
    ).order_by("created_at")[:PAYMENT_RECONCILE_BATCH]:
        if not reference:
            outcome = ChargeResult(status=Outcome.EXPIRED, reference="", failure_message=_(
                "The payment was interrupted before it started. Nothing was charged."
            ))
        else:
            provider = get_payment_provider(provider_name)
            if provider is None:
                logger.warning("payment %s: provider %r is not configured; cannot reconcile", payment_id, provider_name)
                continue
            try:
                outcome = provider.retrieve(reference)
            except PaymentProviderError:
                logger.warning("payment %s (%s): the provider did not answer; will ask again", payment_id, reference)
                continue
            if (outcome is None or outcome.status == Outcome.PENDING) and created_at < now - PAYMENT_EXPIRE_AFTER:
                outcome = ChargeResult(status=Outcome.EXPIRED, reference=reference, failure_message=_(
                    "The payment provider never confirmed this payment, so no tokens were added."
                ))
        if outcome is None or outcome.status == Outcome.PENDING:
            continue  # ask again on the next pass
        settled += payment_fulfil(payment_id=payment_id, outcome=outcome)[1]
    return settled


def ledger_credit_earning(*, generation) -> LedgerEntry | None:
    """Pay the style's artist their exact share of a completed generation, once.

    The share is cost × ARTIST_SHARE_PERCENT hundredths of a token. It is
    added to the artist's EarningAccrual and whole tokens are credited as
    they complete, so over any series of sales the artist is paid
    floor(total × share); the rest waits in the accrual. The generation's
    Earning row records the share (and makes a retry a no-op); its EARN
    ledger row, key earn:<generation pk>, exists only when this sale
    completed at least one token. Returns that row, or None: nothing was
    credited now, the artist generated with their own style, or the
    generation's charge was refunded.
    """
    artist_id = generation.style.artist_id
    if artist_id == generation.user_id:
        return None
    hundredths = generation.cost * settings.ARTIST_SHARE_PERCENT
    if hundredths <= 0:
        return None
    with transaction.atomic():
        # Every earning for this artist queues here; the accrual is read and written under the lock.
        EarningAccrual.objects.get_or_create(artist_id=artist_id)
        accrual = EarningAccrual.objects.select_for_update().get(artist_id=artist_id)
        if (earning := Earning.objects.filter(generation=generation).select_related("entry").first()) is not None:
            return earning.entry
        if LedgerEntry.objects.filter(generation=generation, kind=LedgerEntry.Kind.REFUND).exists():
            return None
        tokens, accrual.hundredths = divmod(accrual.hundredths + hundredths, 100)
        accrual.save(update_fields=["hundredths", "updated_at"])
        entry = None
        if tokens:
            entry = ledger_credit(
                user_id=artist_id, amount=tokens, kind=LedgerEntry.Kind.EARN,
                reason=_("Earned from a generation with %(style)s") % {"style": generation.style.name},
                idempotency_key=f"earn:{generation.pk}", generation=generation,
            )
        Earning.objects.create(generation=generation, artist_id=artist_id, hundredths=hundredths, entry=entry)
        return entry
