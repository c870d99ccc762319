"""Dependency probes for GET /api/ready. Each returns a state word, or raises when its dependency is down."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection

logger = logging.getLogger(__name__)


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "connected"


def check_cache() -> str:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return what was stored")
    cache.delete(key)
    return "connected"


CHECKS: dict[str, Callable[[], str]] = {"database": check_database, "cache": check_cache}


def register_check(name: str, check: Callable[[], str]) -> None:
    """Apps above core add their own dependency (jobs adds the broker) from AppConfig.ready."""
    CHECKS[name] = check


def run_checks() -> tuple[dict[str, str], list[str]]:
    """Returns (state per dependency, names of the failing ones)."""
    states: dict[str, str] = {}
    failing: list[str] = []
    for name, check in CHECKS.items():
        try:
            states[name] = check()
        except Exception as exc:  # any failure means "down", whatever raised it
            logger.warning("health check %s failed: %s", name, exc)
            states[name] = "unavailable"
            failing.append(name)
    return states, failing
