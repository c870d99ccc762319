"""One id per request, carried into log lines, job messages and the worker's calls back.

nginx (or any proxy) may send X-Request-ID; a well-formed one is kept, otherwise a new id
is made. The response carries it back, so a person reporting a problem can quote it.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
_WELL_FORMED = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_current: ContextVar[str] = ContextVar("request_id", default="")


def current_request_id() -> str:
    """The id of the request (or job report) being handled in this thread, or ""."""
    return _current.get()


def accept_request_id(candidate: str | None) -> str:
    return candidate if candidate and _WELL_FORMED.match(candidate) else uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = accept_request_id(request.headers.get(HEADER))
        token = _current.set(request_id)
        request.request_id = request_id
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record, so formatters (plain and JSON) can print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(record, "request_id", None) or current_request_id() or "-"
        return True
