"""Payment providers for tests: a scripted gateway that remembers what it charged (in the class, so every
instance and thread sees it) and can be told to answer differently or to "die" mid-purchase."""

from __future__ import annotations

import uuid

from marketplace.ledger.payments import ChargeResult, DemoPaymentProvider, Outcome, PaymentProviderError

PATH = "marketplace.ledger.tests.providers.ScriptedProvider"


class ProcessDied(BaseException):
    """Stands for the process being killed: a BaseException, so no `except Exception` catches it."""


class ScriptedProvider(DemoPaymentProvider):
    name = "scripted"
    PREFIX = "pi_"

    intents: dict[str, int] = {}  # reference -> amount_cents
    charges: dict[str, ChargeResult] = {}  # what the provider did, whatever the caller heard
    answer = Outcome.SUCCEEDED
    failure_message = ""
    die_in: str = ""  # "create_intent" or "charge": the process dies right after the provider acted
    unreachable_on_charge = False  # the charge is made but its answer is lost (a timeout)

    @classmethod
    def reset(cls) -> None:
        cls.intents, cls.charges = {}, {}
        cls.answer, cls.failure_message, cls.die_in, cls.unreachable_on_charge = Outcome.SUCCEEDED, "", "", False

    def create_intent(self, *, amount_cents: int, currency: str, description: str, idempotency_key: str) -> str:
        reference = f"{self.PREFIX}{uuid.uuid5(uuid.NAMESPACE_URL, idempotency_key).hex[:24]}"
        self.intents[reference] = amount_cents
        if self.die_in == "create_intent":
            raise ProcessDied
        return reference

    def charge(self, *, reference: str) -> ChargeResult:
        assert reference in self.intents, "charged an intent the provider never created"
        result = self.charges.setdefault(
            reference, ChargeResult(status=self.answer, reference=reference, failure_message=self.failure_message)
        )
        if self.die_in == "charge":
            raise ProcessDied
        if self.unreachable_on_charge:
            raise PaymentProviderError("timed out")
        return result

    def retrieve(self, reference: str) -> ChargeResult | None:
        if reference not in self.intents:
            return None
        return self.charges.get(reference, ChargeResult(status=Outcome.PENDING, reference=reference))
