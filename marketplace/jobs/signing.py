"""Atelier's side of the worker credentials: the webhook secrets and per-job tokens.

Messages to workers and workers' calls back are signed with WORKER_WEBHOOK_SECRETS (worker/signing.py,
the Standard Webhooks scheme). Each job message also carries a job token: a value signed with SECRET_KEY
(and accepted under SECRET_KEY_FALLBACKS) that names one job, so a worker holding it may report on and
fetch the files of that job only. Nothing is stored: the token is checked by its signature.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing

from worker.signing import signed_headers

JOB_TOKEN_SALT = "atelier.worker-job-token"
TRAINING, GENERATION = "training", "generation"


def webhook_secrets() -> list[str]:
    return [secret for secret in settings.WORKER_WEBHOOK_SECRETS if secret]


def message_headers(body: bytes, *, message_id: str) -> dict:
    """Standard Webhooks headers for a job message ({} when no secret is configured: deprecated, unsigned).

    The outbox message id is the webhook-id: a re-send of the same job carries the same id, a fresh time.
    """
    secrets = webhook_secrets()
    return signed_headers(secrets[0], body, msg_id=message_id) if secrets else {}


@dataclass(frozen=True)
class JobScope:
    kind: str
    job_id: int
    style_id: int

    def covers_style(self, style_id: int) -> bool:
        """Training may use its own style; a generation may read its style's model."""
        return self.style_id == style_id

    def is_job(self, kind: str, job_id: int) -> bool:
        return self.kind == kind and self.job_id == job_id


def _signer() -> signing.Signer:
    return signing.Signer(salt=JOB_TOKEN_SALT)


def job_token(*, kind: str, job_id: int, style_id: int) -> str:
    """The same job always gets the same token (a re-sent message is byte for byte the same); it needs no
    expiry: once the job has ended, the state machine refuses every report anyway."""
    return _signer().sign_object({"k": kind, "j": job_id, "s": style_id})


def read_job_token(token: str) -> JobScope | None:
    try:
        data = _signer().unsign_object(token)
        return JobScope(kind=str(data["k"]), job_id=int(data["j"]), style_id=int(data["s"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
