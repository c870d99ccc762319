"""HTTP side of the worker protocol: Atelier's webhook API, called with the worker token.

Every failure is turned into one of three typed errors so the caller can
decide between "the job is over", "try again later" and "stop".
"""

from __future__ import annotations

import requests

USER_AGENT = "atelier-reference-worker/1"


class AtelierError(Exception):
    """A failed call to Atelier: str() is a short sentence a person can read, detail is for the log."""

    def __init__(self, message: str, *, status: int | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail or message


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
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    detail = f"{response.request.method} {response.url} -> {status}: {error or response.reason}"
    if status in (404, 409):
        raise JobGone("the job is over or unknown to Atelier", status=status, detail=detail)
    if status == 429 or status >= 500:
        raise RetriableError(f"Atelier answered with an error (HTTP {status})", status=status, detail=detail)
    raise FatalError(f"Atelier refused a request (HTTP {status})", status=status, detail=detail)


class AtelierClient:
    def __init__(
        self, token: str, session: requests.Session | None = None, timeout: tuple[float, float] = (5.0, 60.0)
    ) -> None:
        self.session = session or requests.Session()
        # The token travels only in this header, never in a URL (protocol: Authentication).
        self.session.headers.update({"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT})
        self.timeout = timeout
        # The job's request id (message "request_id"), sent back so Atelier's logs join up; set per job.
        self.request_id = ""

    def _request(self, method: str, url: str, **kwargs) -> requests.Response:
        if self.request_id:
            kwargs["headers"] = {**kwargs.get("headers", {}), "X-Request-ID": self.request_id}
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
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
        return self._json(self._request("PATCH", url, json=fields))

    def get_bytes(self, url: str) -> bytes:
        return self._request("GET", url).content

    def put_bytes(self, url: str, data: bytes, content_type: str) -> None:
        self._request("PUT", url, data=data, headers={"Content-Type": content_type})
