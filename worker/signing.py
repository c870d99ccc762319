"""Standard Webhooks signatures (https://www.standardwebhooks.com), both directions of the protocol.

    webhook-id:        a unique id of the message (the replay key)
    webhook-timestamp: seconds since the epoch, when it was signed
    webhook-signature: "v1," + base64(HMAC-SHA256(key, f"{id}.{timestamp}.".encode() + body))

Written here rather than taken from the `standardwebhooks` package because bodies are bytes (a worker
PUTs PNGs and artefacts; the package decodes the body as text) and because a queued job may wait far
longer than the package's fixed five minutes. Pure Python: Atelier imports it, the worker needs no Django.

A secret "whsec_<base64>" is the Standard Webhooks form (the key is the decoded bytes); any other string
is used as UTF-8 bytes. Several secrets (rotation): sign with the first, accept a match with any.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence

SECRET_PREFIX = "whsec_"
TOLERANCE = 5 * 60  # seconds a signed HTTP call may be early or late


class SignatureInvalid(Exception):
    """Refused; `code` is the stable error code of docs/worker-protocol.md."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def secret_key(secret: str) -> bytes:
    if secret.startswith(SECRET_PREFIX):
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX) + "==")
    return secret.encode()


class BodySigner:
    """Incremental signatures of one message under each secret: feed the body in chunks, then check."""

    def __init__(self, secrets: Sequence[str], msg_id: str, timestamp: str) -> None:
        prefix = f"{msg_id}.{timestamp}.".encode()
        self._macs = [hmac.new(secret_key(s), prefix, hashlib.sha256) for s in secrets if s]

    def update(self, chunk: bytes) -> None:
        for mac in self._macs:
            mac.update(chunk)

    def signatures(self) -> list[bytes]:
        return [mac.digest() for mac in self._macs]


def sign(secret: str, msg_id: str, timestamp: int | str, body: bytes) -> str:
    signer = BodySigner([secret], msg_id, str(timestamp))
    signer.update(body)
    return "v1," + base64.b64encode(signer.signatures()[0]).decode()


def signed_headers(secret: str, body: bytes, *, msg_id: str | None = None, now: float | None = None) -> dict:
    """The three headers for `body`, signed with `secret` (the first of the active secrets)."""
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(now if now is not None else time.time())
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": sign(
        secret, msg_id, timestamp, body
    )}


def read_headers(headers: Mapping, *, max_age: float = TOLERANCE, now: float | None = None) -> tuple[str, str, str]:
    """(id, timestamp, signature) of a signed message, once the timestamp is within max_age of now.

    `headers` may be Django's request.headers or AMQP headers (values may be bytes).
    """
    def value(name: str) -> str:
        raw = headers.get(name)
        if raw is None:
            raw = headers.get(name.title(), "")
        return (raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw or "")).strip()

    msg_id, timestamp, signature = value("webhook-id"), value("webhook-timestamp"), value("webhook-signature")
    if not (msg_id and timestamp and signature):
        raise SignatureInvalid("The webhook-id, webhook-timestamp and webhook-signature headers are required.",
                               "bad_signature")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureInvalid("webhook-timestamp must be whole seconds since the epoch.", "bad_signature")
    now = time.time() if now is None else now
    # A queued job may be old (max_age), but nothing is signed in the future beyond clock skew.
    if int(timestamp) < now - max_age or int(timestamp) > now + TOLERANCE:
        raise SignatureInvalid("The message's timestamp is too old or too far in the future.", "stale_timestamp")
    return msg_id, timestamp, signature


def matches(signature_header: str, signatures: Iterable[bytes]) -> bool:
    """True when one "v1,<base64>" entry of the header (space separated) equals one of the signatures."""
    expected = list(signatures)
    for entry in signature_header.split():
        version, _, encoded = entry.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(encoded, validate=True)
        except ValueError:
            continue
        if any(hmac.compare_digest(given, candidate) for candidate in expected):
            return True
    return False


def verify(
    secrets: Sequence[str], headers: Mapping, body: bytes, *, max_age: float = TOLERANCE, now: float | None = None
) -> str:
    """Check a whole message; returns its webhook-id. Raises SignatureInvalid (code set)."""
    msg_id, timestamp, signature = read_headers(headers, max_age=max_age, now=now)
    signer = BodySigner(secrets, msg_id, timestamp)
    signer.update(body)
    if not matches(signature, signer.signatures()):
        raise SignatureInvalid("The webhook signature does not match.", "bad_signature")
    return msg_id
