"""Reads of the ledger that pages of this and other apps reuse; each starts from the user whose rows they are."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from marketplace.ledger.models import EarningAccrual, LedgerEntry, Payment

# How long a failed or expired payment stays on the wallet page to explain itself.
UNSUCCESSFUL_PAYMENTS_SHOWN_FOR = timedelta(days=1)


def ledger_history(user) -> QuerySet[LedgerEntry]:
    """The user's own rows with everything the history table and CSV read, in one query.

    `generation_visible` says whether the row may link to its image (a buyer's private image
    behind an artist's earning may not). The ledger sits below generations, so it asks the
    related model's own visibility rule through the foreign key rather than importing it.
    """
    generations = LedgerEntry._meta.get_field("generation").related_model.objects
    visible = generations.visible_to(user).filter(pk=OuterRef("generation_id"))
    return user.ledger_entries.select_related("payment", "generation").annotate(generation_visible=Exists(visible))


def ledger_earnings(user) -> QuerySet[LedgerEntry]:
    return user.ledger_entries.filter(kind=LedgerEntry.Kind.EARN)


def ledger_earnings_by_style(user):
    """One row per style: its id, name and slug, the images that earned, and `hundredths`, their exact shares.

    Exact shares rather than EARN rows: with exact pay a whole token is credited on the sale that
    completes it, which may be in another style than the sales whose fractions made it up.
    The rows add up to the tokens credited plus what is pending in the accrual.
    """
    return (
        user.earnings.values(style_id=F("generation__style_id"))
        .annotate(
            style_name=F("generation__style__name"), style_slug=F("generation__style__slug"),
            generations=Count("generation_id", distinct=True), hundredths=Sum("hundredths"),
        )
        .order_by()
    )


def ledger_earning_pending(user) -> int:
    """Hundredths of a token the user has earned but not yet been credited (always below 100)."""
    return EarningAccrual.objects.filter(artist=user).values_list("hundredths", flat=True).first() or 0


def ledger_payments_to_show(user) -> QuerySet[Payment]:
    """The user's payments still being confirmed, and those that failed or expired lately, newest first."""
    since = timezone.now() - UNSUCCESSFUL_PAYMENTS_SHOWN_FOR
    return user.payments.filter(
        Q(status=Payment.Status.PENDING)
        | Q(status__in=[Payment.Status.FAILED, Payment.Status.EXPIRED], settled_at__gte=since)
    )


def ledger_earned_per_style(user):
    """An expression for a Style queryset: the tokens `user` earned from that style (0 if none)."""
    earned = (
        ledger_earnings(user).filter(generation__style=OuterRef("pk"))
        .order_by().values("generation__style").annotate(total=Sum("amount")).values("total")
    )
    return Coalesce(Subquery(earned), 0)


def ledger_daily_earnings(earned: QuerySet[LedgerEntry], *, days: int) -> list[tuple]:
    """(day, tokens) for each of the last `days` days, today included, zero where nothing was earned."""
    start = timezone.localdate() - timedelta(days=days - 1)
    per_day = dict(
        earned.filter(created_at__date__gte=start)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(tokens=Sum("amount"))
        .order_by()
        .values_list("day", "tokens")
    )
    return [(day, per_day.get(day, 0)) for day in (start + timedelta(days=n) for n in range(days))]


def ledger_refunded_tokens(generation) -> int:
    """Tokens given back for `generation` (0 or its cost: a debit is refunded at most once)."""
    refunds = generation.ledger_entries.filter(kind=LedgerEntry.Kind.REFUND)
    return refunds.aggregate(total=Sum("amount"))["total"] or 0


def ledger_movements_by_kind():
    """((kind, "entries" | "tokens"), value) for /metrics: how often each kind moved tokens, and how many."""
    rows = LedgerEntry.objects.order_by().values_list("kind").annotate(n=Count("pk"), tokens=Sum("amount"))
    for kind, entries, tokens in rows:
        yield (kind, "entries"), entries
        yield (kind, "tokens"), tokens or 0
