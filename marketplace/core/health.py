"""Dependency probes for GET /api/health. Each returns a state word."""

from __future__ import annotations

import logging
import uuid

import pika
from django.conf import settings
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


def check_broker() -> str:
    if not settings.AMQP_URL:
        return "embedded"
    params = pika.URLParameters(settings.AMQP_URL)
    params.socket_timeout = 2
    params.blocked_connection_timeout = 2
    params.connection_attempts = 1
    conn = pika.BlockingConnection(params)
    conn.close()
    return "connected"


CHECKS = {"database": check_database, "cache": check_cache, "broker": check_broker}


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
