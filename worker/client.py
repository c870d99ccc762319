"""HTTP side of the worker protocol: Atelier's webhook API, every call signed and scoped to its job.

Every failure is turned into one of three typed errors so the caller can
decide between "the job is over", "try again later" and "stop".
"""

from __future__ import annotations

import json

import requests

from worker.signing import signed_headers

USER_AGENT = "atelier-reference-worker/1"


class AtelierError(Exception):
    """A failed call to Atelier: str() is a short sentence a person can read, detail is for the log."""

    def __init__(self, message: str, *, status: int | None = None, detail: str = "", code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail or message
        self.code = code  # Atelier's stable error code, when it sent one


class JobGone(AtelierError):
    """404 or 409: the job is unknown or already over; ack and drop the message."""


class RetriableError(AtelierError):
    """The network or Atelier failed (connection error, timeout, 429, 5xx); the same call may work later."""


class FatalError(AtelierError):
    """Atelier refused the call (400, 401, 403, 413...); repeating it as is cannot help."""


def _raise_for(response: requests.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    try:
        body = response.json()
        error, code = body.get("error"), str(body.get("code") or "")
    except (ValueError, AttributeError):
        error, code = None, ""
    detail = f"{response.request.method} {response.url} -> {status}: {error or response.reason}"
    if status in (404, 409):
        raise JobGone("the job is over or unknown to Atelier", status=status, detail=detail, code=code)
    if status == 429 or status >= 500:
        raise RetriableError(f"Atelier answered with an error (HTTP {status})", status=status, detail=detail, code=code)
    raise FatalError(f"Atelier refused a request (HTTP {status})", status=status, detail=detail, code=code)


class AtelierClient:
    """Signs every call with `secret` (Standard Webhooks); with only a `token`, the deprecated bearer scheme."""

    def __init__(
        self,
        token: str = "",
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (5.0, 60.0),
        *,
        secret: str = "",
    ) -> None:
        if not (token or secret):
            raise ValueError("a webhook secret (or the deprecated worker token) is required")
        self.session = session or requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT})
        self.secret = secret
        if not secret:
            # Credentials travel only in headers, never in a URL (protocol: Authentication).
            self.session.headers.update({"Authorization": f"Bearer {token}"})
        self.timeout = timeout
        # Per job, from its message: the request id (sent back so Atelier's logs join up) and the job token.
        self.request_id = ""
        self.job_token = ""

    def start_job(self, message: dict) -> None:
        """Take this job's request id and job token from its message, for every call until the next job."""
        request_id, token = message.get("request_id"), message.get("job_token")
        self.request_id = request_id if isinstance(request_id, str) else ""
        self.job_token = token if isinstance(token, str) else ""

    def _request(self, method: str, url: str, *, data: bytes = b"", headers: dict | None = None):
        headers = dict(headers or {})
        if self.request_id:
            headers["X-Request-ID"] = self.request_id
        if self.job_token:
            headers["Atelier-Job-Token"] = self.job_token
        if self.secret:
            headers.update(signed_headers(self.secret, data))  # a fresh webhook-id per call, so retries pass
        try:
            response = self.session.request(method, url, timeout=self.timeout, data=data or None, headers=headers)
        except requests.Timeout as exc:
            raise RetriableError("Atelier did not answer in time", detail=f"{method} {url}: {exc}") from exc
        except requests.RequestException as exc:
            raise RetriableError("Atelier could not be reached", detail=f"{method} {url}: {exc}") from exc
        _raise_for(response)
        return response

    def _json(self, response: requests.Response) -> dict:
        try:
            data = response.json()
        except ValueError as exc:
            raise RetriableError("Atelier answered without JSON", detail=f"{response.url}: {exc}") from exc
        if not isinstance(data, dict):
            raise RetriableError("Atelier answered with unexpected JSON", detail=f"{response.url}: {data!r:.200}")
        return data

    def get_status(self, url: str) -> dict:
        return self._json(self._request("GET", url))

    def patch_status(self, url: str, **fields) -> dict:
        body = json.dumps(fields, separators=(",", ":")).encode()  # the exact bytes signed are the bytes sent
        return self._json(self._request("PATCH", url, data=body, headers={"Content-Type": "application/json"}))

    def get_bytes(self, url: str) -> bytes:
        return self._request("GET", url).content

    def put_bytes(self, url: str, data: bytes, content_type: str) -> None:
        self._request("PUT", url, data=data, headers={"Content-Type": content_type})
