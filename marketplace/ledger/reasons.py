"""Why tokens moved: stored as a stable code with its parameters, shown as a sentence in the reader's language.

LedgerEntry.reason is append-only and outlives any wording, so a service
that writes a row a person reads stores `ledger_reason(code, **params)` (a
small JSON object) and pages render `ledger_reason_text(entry)` through
gettext when they show it. Rows written before codes hold free text and are
shown as written, except the bare "generation_failed" every refund once
carried, which is told from the refunded generation.

The ledger sits below generations: it reads a generation through the
entry's foreign key (status, failure_reason) and never imports that app.
"""

from __future__ import annotations

import json

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace.ledger.models import LedgerEntry

GENERATION_CHARGE = "generation.charge"  # style: the style's name when it was charged
REFUND_CANCELLED = "refund.cancelled"
REFUND_FAILED = "refund.failed"  # the worker's words are the generation's failure_reason
REFUND_TIMED_OUT = "refund.timed_out"  # minutes
REFUND_NOT_TAKEN = "refund.not_taken"  # minutes

_SENTENCES = {
    GENERATION_CHARGE: gettext_lazy("Generation with %(style)s"),
    REFUND_CANCELLED: gettext_lazy("Refund: cancelled by you"),
    REFUND_TIMED_OUT: gettext_lazy("Refund: took longer than %(minutes)s minutes"),
    REFUND_NOT_TAKEN: gettext_lazy("Refund: no image worker took it up within %(minutes)s minutes"),
}

LEGACY_REFUND = "generation_failed"
CANCELLED = "cancelled"  # Generation.Status.CANCELLED, read through the foreign key
MAX_LENGTH = LedgerEntry._meta.get_field("reason").max_length


def ledger_reason(code: str, **params) -> str:
    """The stored form of a reason; the longest text parameter is shortened (with …) until it fits the column."""
    while True:
        text = json.dumps({"code": code, **params}, ensure_ascii=False, separators=(",", ":"))
        excess = len(text) - MAX_LENGTH
        if excess <= 0:
            return text
        name, value = max(((k, v) for k, v in params.items() if isinstance(v, str)), key=lambda kv: len(kv[1]),
                          default=("", ""))
        if len(value) <= 1:
            raise ValueError(f"a {code!r} reason cannot be shortened to {MAX_LENGTH} characters")
        params[name] = value[: max(0, len(value) - excess - 1)] + "…"


def ledger_reason_text(entry: LedgerEntry) -> str:
    """The sentence a person reads for `entry`, in the active language."""
    coded = _decode(entry.reason)
    if coded is None:
        return _legacy_refund(entry) if entry.reason == LEGACY_REFUND else entry.reason
    code = coded.pop("code")
    if code == REFUND_FAILED:
        return _worker_failed(entry)
    sentence = _SENTENCES.get(code)
    try:
        return str(sentence) % coded if sentence is not None else entry.get_kind_display()
    except (KeyError, TypeError, ValueError):  # a code whose parameters changed: still say what kind it was
        return entry.get_kind_display()


def _decode(reason: str) -> dict | None:
    if not reason.startswith("{"):
        return None
    try:
        value = json.loads(reason)
    except ValueError:
        return None
    return value if isinstance(value, dict) and isinstance(value.get("code"), str) else None


def _worker_failed(entry: LedgerEntry) -> str:
    reason = entry.generation.failure_reason if entry.generation_id else ""
    if reason:
        return _("Refund: the image worker failed: %(reason)s") % {"reason": reason}
    return _("Refund: the image worker failed")


def _legacy_refund(entry: LedgerEntry) -> str:
    if entry.generation_id is None:
        return _("Refund: the image failed")
    if entry.generation.status == CANCELLED:
        return str(_SENTENCES[REFUND_CANCELLED])
    return _worker_failed(entry)
