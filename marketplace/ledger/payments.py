"""Payment providers: how money comes in for a token pack.

The ledger never talks to a provider; `payment_purchase_pack` charges through
the configured provider and only then credits tokens. A real provider
(Stripe, Adyen…) implements `PaymentProvider.charge` and is named in
settings.PAYMENT_PROVIDER; nothing else changes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class TokenPack:
    code: str
    tokens: int
    price_cents: int
    currency: str
    label: str

    @property
    def price_display(self) -> str:
        return f"€{self.price_cents / 100:.2f}"


TOKEN_PACKS: dict[str, TokenPack] = {
    pack.code: pack
    for pack in (
        TokenPack("starter", 100, 500, "EUR", _("Starter")),
        TokenPack("studio", 500, 2000, "EUR", _("Studio")),
        TokenPack("pro", 2000, 6500, "EUR", _("Pro")),
    )
}


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    reference: str
    failure_message: str = ""


class PaymentProvider(Protocol):
    name: str

    def charge(self, *, amount_cents: int, currency: str, description: str, idempotency_key: str) -> ChargeResult:
        """Charge the customer once per idempotency key (providers dedupe on it)."""


class DemoPaymentProvider:
    """The seed plan's mock gateway: always succeeds, and says so in its reference."""

    name = "demo"

    def charge(self, *, amount_cents: int, currency: str, description: str, idempotency_key: str) -> ChargeResult:
        return ChargeResult(succeeded=True, reference=f"demo_{uuid.uuid5(uuid.NAMESPACE_URL, idempotency_key).hex}")


def get_payment_provider() -> PaymentProvider:
    return import_string(settings.PAYMENT_PROVIDER)()
