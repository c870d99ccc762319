"""What a refused (429) answer looks like, for the tests of each limited action (marketplace/core/ratelimit.py)."""

from __future__ import annotations

import re

RETRY = re.compile(r"Try again in (\d+) (second|seconds|minute|minutes|hour|hours)\.")


def tighten(settings, **limits: str) -> None:
    """Lower some scopes of settings.RATE_LIMITS for one test, e.g. tighten(settings, generate="2/m")."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, **limits}


def _retry(response) -> int:
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= 3600, retry_after
    return retry_after


def refused_page(response) -> str:
    """The friendly full page; returns the text saying when to try again."""
    assert response.status_code == 429, response.status_code
    _retry(response)
    body = response.content.decode()
    assert "<html" in body and "Too many requests" in body and 'id="rate-limit-notice"' in body
    found = RETRY.search(body)
    assert found, body
    return found.group(0)


def refused_fragment(response) -> str:
    """The htmx notice, retargeted into #rate-limit-notice (the form that asked stays as it is)."""
    assert response.status_code == 429, response.status_code
    _retry(response)
    assert response.headers["HX-Retarget"] == "#rate-limit-notice"
    assert response.headers["HX-Reswap"] == "innerHTML show:top"  # the notice is scrolled into view
    assert "HX-Request" in response.headers["Vary"]
    body = response.content.decode()
    assert "<html" not in body and 'id="rate-limited"' in body and "You are doing that too often." in body
    found = RETRY.search(body)
    assert found, body
    return found.group(0)


def refused_json(response) -> dict:
    """The worker API's answer: {"error", "code": "rate_limited", "retry_after"} and Retry-After.
A Django test response or a requests.Response."""
    assert response.status_code == 429, response.status_code
    assert response.headers["Content-Type"] == "application/json"
    payload = response.json()
    assert payload["code"] == "rate_limited" and payload["retry_after"] == _retry(response)
    assert RETRY.search(payload["error"]), payload
    return payload
