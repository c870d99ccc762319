"""Who is calling the worker API, and for which job (docs/worker-protocol.md, "Authentication").

A worker's call is signed (Standard Webhooks headers over the raw body, with one of
WORKER_WEBHOOK_SECRETS) and carries the job token of its message in `Atelier-Job-Token`; the token
names the one job the call may touch. A signature is checked once per request: its webhook-id is
remembered in the cache for REPLAY_WINDOW seconds and a second use is refused.

Deprecated: `Authorization: Bearer <INTERNAL_API_TOKEN>` alone, accepted while WORKER_ACCEPT_BEARER
is on; without a job token it may touch any job, as before. A job token sent with it is still checked.
CSRF does not apply to any of it (no cookies are used).
"""

from __future__ import annotations

import hmac
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from marketplace.jobs.signing import GENERATION, TRAINING, JobScope, read_job_token, webhook_secrets
from marketplace.webhooks.responses import json_error
from worker.signing import BodySigner, SignatureInvalid, matches, read_headers

logger = logging.getLogger(__name__)

JOB_TOKEN_HEADER = "Atelier-Job-Token"
REPLAY_WINDOW = 10 * 60  # longer than the timestamp tolerance, so an id is remembered while it could be valid
CHUNK = 1024 * 1024


class Refused(Exception):
    def __init__(self, message: str, code: str, status: int = 403) -> None:
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


@dataclass(frozen=True)
class WorkerCaller:
    signed: bool
    scope: JobScope | None  # None: a deprecated bearer call without a job token (any job)


def has_worker_credentials(request) -> bool:
    headers = request.headers
    return bool(headers.get("Authorization") or headers.get("webhook-signature") or headers.get(JOB_TOKEN_HEADER))


def _bearer_ok(request) -> bool:
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or not settings.INTERNAL_API_TOKEN:
        return False
    return hmac.compare_digest(token.strip().encode(), settings.INTERNAL_API_TOKEN.encode())


def _signed_body(request, signer: BodySigner, max_body: int | None) -> None:
    """Feed the body to the signer. A streamed upload (max_body set) is spooled and handed back to the view."""
    if max_body is None:
        try:
            signer.update(request.body)
        except RequestDataTooBig as exc:
            raise Refused(_("The request body is too large."), "too_large", 413) from exc
        return
    if int(request.META.get("CONTENT_LENGTH") or 0) > max_body:
        raise Refused(_("The upload is larger than allowed."), "too_large", 413)
    spool = tempfile.SpooledTemporaryFile(max_size=8 * CHUNK)  # noqa: SIM115 (becomes the request's stream)
    size = 0
    while chunk := request.read(CHUNK):
        size += len(chunk)
        if size > max_body:
            spool.close()
            raise Refused(_("The upload is larger than allowed."), "too_large", 413)
        signer.update(chunk)
        spool.write(chunk)
    spool.seek(0)
    request._stream = spool  # the view reads the verified bytes, not the socket again


def _verify_signature(request, max_body: int | None) -> None:
    secrets = webhook_secrets()
    if not secrets:
        raise Refused(_("Signed calls are not configured here (WORKER_WEBHOOK_SECRETS)."), "bad_signature")
    try:
        msg_id, timestamp, signature = read_headers(request.headers)
    except SignatureInvalid as exc:
        raise Refused(str(exc), exc.code) from exc
    signer = BodySigner(secrets, msg_id, timestamp)
    _signed_body(request, signer, max_body)
    if not matches(signature, signer.signatures()):
        raise Refused(_("The webhook signature does not match."), "bad_signature")
    try:
        first_use = cache.add(f"worker-webhook-id:{msg_id}", 1, REPLAY_WINDOW)
    except Exception:  # the cache being down must not stop every worker; the timestamp still bounds a replay
        logger.warning("could not record webhook-id %s; accepting it", msg_id, exc_info=True)
        first_use = True
    if not first_use:
        raise Refused(_("This webhook-id was already used."), "replayed")


def authenticate(request, *, max_body: int | None = None) -> WorkerCaller:
    """The verified caller, once per request (a second check must not trip the replay guard). Raises Refused."""
    cached = getattr(request, "_worker_caller", None)
    if isinstance(cached, Refused):
        raise cached
    if cached is not None:
        return cached
    try:
        caller = _authenticate(request, max_body)
    except Refused as exc:
        request._worker_caller = exc
        raise
    request._worker_caller = caller
    return caller


def _authenticate(request, max_body: int | None) -> WorkerCaller:
    signed = bool(request.headers.get("webhook-signature") or request.headers.get("webhook-id"))
    if signed:
        _verify_signature(request, max_body)
    elif not (settings.WORKER_ACCEPT_BEARER and _bearer_ok(request)):
        raise Refused(_("A valid worker token is required."), "forbidden")
    token = request.headers.get(JOB_TOKEN_HEADER, "").strip()
    if not token:
        if signed:
            raise Refused(_("This call needs the job token of its message."), "wrong_job")
        return WorkerCaller(signed=False, scope=None)
    scope = read_job_token(token)
    if scope is None:
        raise Refused(_("The job token is not valid."), "wrong_job")
    return WorkerCaller(signed=signed, scope=scope)


# What a job token must name for each endpoint: fn(scope, method, view kwargs) -> bool.
Scope = Callable[[JobScope, str, dict], bool]


def training_job(scope: JobScope, method: str, kwargs: dict) -> bool:
    return scope.is_job(TRAINING, kwargs["style_id"])


def style_model(scope: JobScope, method: str, kwargs: dict) -> bool:
    """Reading a style's model: its training job, or a generation in that style. Writing: training only."""
    if method == "GET":
        return scope.covers_style(kwargs["style_id"])
    return training_job(scope, method, kwargs)


def generation_job(scope: JobScope, method: str, kwargs: dict) -> bool:
    return scope.is_job(GENERATION, kwargs["generation_id"])


def check_scope(caller: WorkerCaller, allowed: Scope, method: str, kwargs: dict) -> None:
    if caller.scope is not None and not allowed(caller.scope, method, kwargs):
        raise Refused(_("This job token is for another job."), "wrong_job")


def worker_may_read_style(request, style_id: int) -> bool:
    """For file serving elsewhere: a verified worker whose job is this style's training or one of its images."""
    if not has_worker_credentials(request):
        return False
    try:
        caller = authenticate(request)
    except Refused:
        return False
    return caller.scope is None or caller.scope.covers_style(style_id)


def refused_response(exc: Refused):
    return json_error(exc.message, exc.code, exc.status)


def worker_required(allowed: Scope, *, max_body: int | None = None):
    """Only verified workers whose job token (if any) names this job. max_body: the PUT body is streamed."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                caller = authenticate(request, max_body=max_body if request.method == "PUT" else None)
                check_scope(caller, allowed, request.method, kwargs)
            except Refused as exc:
                return refused_response(exc)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
