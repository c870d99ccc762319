"""The only code that changes a token balance.

Each function is one transaction: lock the user's row, look up the
idempotency key (after the lock, so concurrent retries serialise and see the
first result), check, append a LedgerEntry and store the new balance.
ledger_debit, the hot path, locks, checks and takes in one conditional
UPDATE and lets the key's unique index catch a retry (see its docstring).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from marketplace.core.exceptions import ServiceError
from marketplace.ledger.exceptions import IdempotencyConflict, InsufficientTokens
from marketplace.ledger.models import LedgerEntry, Payment
from marketplace.ledger.payments import TOKEN_PACKS, get_payment_provider

User = get_user_model()

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
        user=user, kind=kind, amount=amount, balance_after=user.token_balance, reason=reason, idempotency_key=key, **refs
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
    *, user_id: int, amount: int, reason: str, idempotency_key: str, generation=None, kind: str = LedgerEntry.Kind.CONSUME,
    created_by=None,
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
    """Buy a token pack: record the payment, charge once, credit once.

    The Payment row is inserted first under the form's idempotency key, so a
    double-submitted form finds it instead of charging again; the provider
    is asked to charge with the same key; the credit's key is the payment's.
    Returns the Payment (succeeded, failed, or still pending when another
    request with the same key is in flight).
    """
    pack = TOKEN_PACKS.get(pack_code)
    if pack is None:
        raise ServiceError(_("That token pack does not exist."), code="unknown_pack")
    payment, created = Payment.objects.get_or_create(
        idempotency_key=f"purchase:{idempotency_key}",
        defaults={
            "user_id": user_id, "provider": "", "pack": pack.code, "tokens": pack.tokens,
            "amount_cents": pack.price_cents, "currency": pack.currency,
        },
    )
    if (payment.user_id, payment.pack) != (user_id, pack.code):
        raise IdempotencyConflict(_("This purchase form was already used for another purchase."))
    if not created:
        return payment

    provider = get_payment_provider()
    result = provider.charge(
        amount_cents=pack.price_cents, currency=pack.currency,
        description=f"Atelier {pack.tokens} tokens", idempotency_key=payment.idempotency_key,
    )
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != Payment.Status.PENDING:
            return payment
        payment.provider = provider.name
        payment.provider_reference = result.reference
        payment.status = Payment.Status.SUCCEEDED if result.succeeded else Payment.Status.FAILED
        payment.save(update_fields=["provider", "provider_reference", "status"])
        if result.succeeded:
            ledger_credit(
                user_id=user_id, amount=pack.tokens, kind=LedgerEntry.Kind.PURCHASE,
                reason=_("Bought the %(pack)s pack") % {"pack": pack.label},
                idempotency_key=f"payment:{payment.pk}", payment=payment,
            )
    return payment


def ledger_credit_earning(*, generation) -> LedgerEntry | None:
    """Credit the style's artist their share of a completed generation, once.

    Nothing when artists generate with their own style, when the share
    rounds to zero, or when the generation's charge was refunded.
    """
    artist_id = generation.style.artist_id
    if artist_id == generation.user_id:
        return None
    amount = generation.cost * settings.ARTIST_SHARE_PERCENT // 100
    if amount <= 0:
        return None
    if LedgerEntry.objects.filter(generation=generation, kind=LedgerEntry.Kind.REFUND).exists():
        return None
    return ledger_credit(
        user_id=artist_id, amount=amount, kind=LedgerEntry.Kind.EARN,
        reason=_("Earned from a generation with %(style)s") % {"style": generation.style.name},
        idempotency_key=f"earn:{generation.pk}", generation=generation,
    )
