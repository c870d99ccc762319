from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Payment(models.Model):
    """The seed plan's Purchase / PaymentTransaction: money in for a token pack.

    A state machine (see TRANSITIONS). The provider's reference is stored,
    committed, before the customer is charged, so a payment whose charge was
    interrupted can always be looked up at the provider and settled later by
    the webhook or the reconciliation sweep (services.payment_fulfil).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    # pending settles once. An expired payment (no answer from the provider for a long time) may
    # still succeed: a late confirmation means the money came in, so the tokens are owed.
    TRANSITIONS = {
        Status.PENDING: {Status.SUCCEEDED, Status.FAILED, Status.EXPIRED},
        Status.EXPIRED: {Status.SUCCEEDED},
    }

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(_("provider"), max_length=30)
    provider_reference = models.CharField(_("provider reference"), max_length=100, blank=True)
    pack = models.CharField(_("pack"), max_length=30)
    tokens = models.PositiveIntegerField(_("tokens"))
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    # The provider's words when a charge fails or a payment expires, shown to the customer.
    failure_message = models.CharField(_("failure message"), max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(tokens__gt=0), name="payment_tokens_positive"),
            models.UniqueConstraint(
                fields=["provider", "provider_reference"],
                condition=~models.Q(provider_reference=""),
                name="payment_provider_reference_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tokens} tokens for {self.user} ({self.status})"

    @property
    def price_display(self) -> str:
        # As the packs show their prices (payments.TokenPack.price_display).
        amount = f"{self.amount_cents / 100:.2f}"
        return f"€{amount}" if self.currency == "EUR" else f"{amount} {self.currency}"


class LedgerEntry(models.Model):
    """One append-only token movement. Rows are never updated or deleted.

    A user's token_balance always equals the sum of their entries' amounts;
    balance_after records it as of this row.
    """

    class Kind(models.TextChoices):
        WELCOME = "welcome", _("Welcome bonus")
        PURCHASE = "purchase", _("Purchase")
        EARN = "earn", _("Earning")
        CONSUME = "consume", _("Generation")
        REFUND = "refund", _("Refund")
        ADJUSTMENT = "adjustment", _("Staff adjustment")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ledger_entries")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    amount = models.IntegerField(_("amount"))
    balance_after = models.PositiveIntegerField(_("balance after"))
    reason = models.CharField(_("reason"), max_length=200)
    idempotency_key = models.CharField(max_length=120, unique=True)
    generation = models.ForeignKey(
        "generations.Generation", on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries"
    )
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries")
    # A refund points at the debit it reverses; unique, so a debit is refunded at most once.
    refund_of = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="refunded_by"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["user", "created_at"], name="ledger_user_created_idx")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_amount_nonzero"),
            models.CheckConstraint(condition=models.Q(balance_after__gte=0), name="ledger_balance_after_non_negative"),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="consume", amount__lt=0)
                    | models.Q(kind__in=["welcome", "purchase", "earn", "refund"], amount__gt=0)
                    | models.Q(kind="adjustment")
                ),
                name="ledger_amount_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="refund", refund_of__isnull=False) | ~models.Q(kind="refund"),
                name="ledger_refund_has_debit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount:+d} → {self.balance_after} ({self.user})"


class EarningAccrual(models.Model):
    """An artist's share not yet paid out: hundredths of a token, always below one token.

    Shares are exact (cost × ARTIST_SHARE_PERCENT hundredths); whole tokens are
    credited as they complete, so over any series of sales an artist is paid
    floor(total × share). Locked by every earning for the artist.
    """

    artist = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, primary_key=True, related_name="earning_accrual"
    )
    hundredths = models.PositiveSmallIntegerField(_("hundredths of a token pending"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(hundredths__lt=100), name="accrual_below_one_token")]

    def __str__(self) -> str:
        return f"{self.artist}: {self.hundredths / 100:.2f} token pending"


class Earning(models.Model):
    """An artist's exact share of one generation, recorded once per generation.

    `entry` is the EARN ledger row that sale completed (its key is earn:<generation pk>),
    or empty when the share only added to the accrual. Per-style earnings sum these.
    """

    generation = models.OneToOneField("generations.Generation", on_delete=models.PROTECT, related_name="earning")
    artist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="earnings")
    hundredths = models.PositiveIntegerField(_("share in hundredths of a token"))
    entry = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="earning"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(hundredths__gt=0), name="earning_share_positive")]

    def __str__(self) -> str:
        return f"{self.artist}: {self.hundredths / 100:.2f} from generation #{self.generation_id}"
