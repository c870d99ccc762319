"""POST /api/payments/<provider>/webhook: the payment provider tells us how a payment ended.

This is the normal way a payment settles (the purchase's immediate answer is
an optimisation, the sweep the safety net). Verify the provider's signature
over the raw body, parse, dispatch through HANDLERS to payment_fulfil; 4xx for
anything unknown. Every event is safe to receive twice: payment_fulfil
settles a payment once.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from marketplace.ledger.models import Payment
from marketplace.ledger.payments import (
    ChargeResult,
    Outcome,
    WebhookEvent,
    WebhookSignatureInvalid,
    get_payment_provider,
)
from marketplace.ledger.services import payment_fulfil

logger = logging.getLogger(__name__)

HANDLERS = {
    "payment.succeeded": Outcome.SUCCEEDED,
    "payment.failed": Outcome.FAILED,
}


def _error(message: str, code: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message, "code": code}, status=status)


@csrf_exempt  # the caller is a provider, not a browser; the signature is its credential
@require_POST
def payment_webhook(request: HttpRequest, provider: str) -> JsonResponse:
    gateway = get_payment_provider(provider)
    if gateway is None:
        return _error(_("Unknown payment provider."), "unknown_provider", 404)
    try:
        event = gateway.parse_webhook(body=request.body, headers=request.headers)
    except WebhookSignatureInvalid as exc:
        logger.warning("payment webhook from %s refused: %s", provider, exc)
        return _error(_("The webhook signature is not valid."), "bad_signature", 400)
    except ValueError:
        return _error(_("The body is not a payment event."), "bad_request", 400)
    outcome = HANDLERS.get(event.type)
    if outcome is None:
        return _error(_("Unknown event type."), "unknown_event", 400)
    payment = Payment.objects.filter(provider=gateway.name, provider_reference=event.reference).first()
    if payment is None:
        return _error(_("No payment has this reference."), "unknown_payment", 404)
    if not _charged_as_recorded(event, payment):
        logger.error("payment %s: the provider reports %s %s, we recorded %s %s", payment.pk,
                     event.amount_cents, event.currency, payment.amount_cents, payment.currency)
        return _error(_("The amount does not match the payment."), "amount_mismatch", 400)
    payment, _changed = payment_fulfil(payment_id=payment.pk, outcome=ChargeResult(
        status=outcome, reference=event.reference, failure_message=event.failure_message,
    ))
    return JsonResponse({"payment": payment.pk, "status": payment.status})


def _charged_as_recorded(event: WebhookEvent, payment: Payment) -> bool:
    # The tokens come from our own row; a provider that charged another amount is a case for a person.
    if event.amount_cents is not None and event.amount_cents != payment.amount_cents:
        return False
    return not event.currency or event.currency == payment.currency
