"""Payment providers: how money comes in for a token pack.

The ledger never talks to a provider; `payment_purchase_pack` and the
reconciliation sweep do, through the configured provider, in the Stripe
PaymentIntent pattern:

1. `create_intent` returns the provider's reference for the payment; it is
   stored (committed) before any money moves.
2. `charge` confirms it. Its immediate answer is an optimisation only.
3. The provider's signed webhook (`parse_webhook`) is the normal way a
   payment settles; `retrieve` answers the sweep for payments whose answer
   never arrived (a process died mid-charge, a lost webhook).

A real provider (Stripe, Adyen…) implements `PaymentProvider` and is named in
settings.PAYMENT_PROVIDER; nothing else changes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
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


class Outcome:
    """What a provider says about a payment: one of Payment.Status's values."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"


@dataclass(frozen=True)
class ChargeResult:
    status: str  # an Outcome
    reference: str
    failure_message: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status == Outcome.SUCCEEDED


@dataclass(frozen=True)
class WebhookEvent:
    """A verified provider event about one payment (amount and currency as the provider charged them)."""

    id: str
    type: str
    reference: str
    amount_cents: int | None = None
    currency: str = ""
    failure_message: str = ""


class PaymentProviderError(Exception):
    """The provider could not be reached or gave no usable answer; the payment stays as it was."""


class WebhookSignatureInvalid(Exception):
    """The webhook's signature is missing, malformed, stale or wrong."""


class PaymentProvider(Protocol):
    name: str

    def create_intent(self, *, amount_cents: int, currency: str, description: str, idempotency_key: str) -> str:
        """Register the payment at the provider (no money moves) and return its reference, the same for the same key."""

    def charge(self, *, reference: str) -> ChargeResult:
        """Charge the customer for the intent, once however often it is asked (providers dedupe on the reference)."""

    def retrieve(self, reference: str) -> ChargeResult | None:
        """The provider's current answer for the intent; None when it does not know the reference."""

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify the provider's signature over the raw body and parse it; raises WebhookSignatureInvalid."""


# --- HMAC-SHA256 signed webhooks (Stripe's scheme: "t=<unix time>,v1=<hex>" over "<t>.<body>") --------------------

SIGNATURE_HEADER = "Atelier-Signature"
SIGNATURE_TOLERANCE_SECONDS = 300  # older (or as far in the future) and a captured request cannot be replayed


def webhook_signature(body: bytes, *, secret: str, timestamp: int) -> str:
    """The header value a provider sends with `body` at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_webhook_signature(body: bytes, header: str, *, secret: str, now: float | None = None) -> None:
    """Raise WebhookSignatureInvalid unless `header` signs `body` with `secret` within the tolerance."""
    if not secret:
        raise WebhookSignatureInvalid("no webhook secret is configured")
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _sep, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        raise WebhookSignatureInvalid("no timestamp in the signature") from None
    if abs((time.time() if now is None else now) - timestamp) > SIGNATURE_TOLERANCE_SECONDS:
        raise WebhookSignatureInvalid("the signature's timestamp is outside the tolerance")
    expected = webhook_signature(body, secret=secret, timestamp=timestamp).partition("v1=")[2]
    # Constant time, against every v1 given (a provider rotating its secret sends two).
    if not any(hmac.compare_digest(expected.encode(), candidate.encode()) for candidate in fields.get("v1", [])):
        raise WebhookSignatureInvalid("the signature does not match")


class SignedWebhookMixin:
    """parse_webhook for providers that sign with PAYMENT_WEBHOOK_SECRET and send the demo event shape:
    {"id": "evt_…", "type": "payment.succeeded" | "payment.failed",
     "data": {"reference": "…", "amount_cents": 2000, "currency": "EUR", "failure_message": ""}}.
    """

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        verify_webhook_signature(body, headers.get(SIGNATURE_HEADER, ""), secret=settings.PAYMENT_WEBHOOK_SECRET)
        try:
            event = json.loads(body)
            data = event["data"]
            return WebhookEvent(
                id=str(event["id"]), type=str(event["type"]), reference=str(data["reference"]),
                amount_cents=data.get("amount_cents"), currency=str(data.get("currency", "")),
                failure_message=str(data.get("failure_message", ""))[:200],
            )
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError("not a payment event") from exc


class DemoPaymentProvider(SignedWebhookMixin):
    """The seed plan's mock gateway: no network, and every payment succeeds.

    Its reference is derived from the payment's key, and it knows every
    reference it handed out as paid, so `retrieve` confirms an interrupted
    charge: with the demo provider a purchase is settled by the immediate
    answer of `charge` or, if that answer was lost, by the sweep. It sends no
    webhooks of its own; `signed_event` builds one (for tests, or curl).
    """

    name = "demo"
    PREFIX = "demo_"

    def create_intent(self, *, amount_cents: int, currency: str, description: str, idempotency_key: str) -> str:
        return f"{self.PREFIX}{uuid.uuid5(uuid.NAMESPACE_URL, idempotency_key).hex}"

    def charge(self, *, reference: str) -> ChargeResult:
        return ChargeResult(status=Outcome.SUCCEEDED, reference=reference)

    def retrieve(self, reference: str) -> ChargeResult | None:
        if not reference.startswith(self.PREFIX):
            return None
        return ChargeResult(status=Outcome.SUCCEEDED, reference=reference)

    @staticmethod
    def signed_event(event: dict, *, secret: str | None = None, timestamp: int | None = None) -> tuple[bytes, dict]:
        """(body, headers) of a webhook request as the provider would send it."""
        body = json.dumps(event).encode()
        signature = webhook_signature(
            body, secret=settings.PAYMENT_WEBHOOK_SECRET if secret is None else secret,
            timestamp=int(time.time()) if timestamp is None else timestamp,
        )
        return body, {SIGNATURE_HEADER: signature}


def get_payment_provider(name: str | None = None) -> PaymentProvider | None:
    """The configured provider; with `name`, only if it is the configured one's name (else None)."""
    provider = import_string(settings.PAYMENT_PROVIDER)()
    if name is not None and provider.name != name:
        return None
    return provider
