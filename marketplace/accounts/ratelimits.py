"""Failed-login limits keyed per client IP + account, and how long a refused person must wait.

allauth counts failed logins per account (the email) by default, so anyone can lock a victim out by typing
wrong passwords. AccountAdapter adds the client IP to that key; this module reads allauth's own counters
(the cache, Redis in production) to tell the person when the next try is allowed.
"""

from __future__ import annotations

import math
import time

from allauth.core.internal import ratelimit
from django.core.cache import cache
from django.http import HttpRequest

APP = "allauth.account"
LOGIN_FAILED = "login_failed"


def login_failed_key(request: HttpRequest, email_key: str) -> str:
    """The per IP + account key: allauth's per-account key, prefixed with the (IPv6 /64-truncated) client IP."""
    return f"{ratelimit.get_ip(request)}|{email_key}"


def login_retry_after(request: HttpRequest, *, key: str) -> int:
    """Seconds until this IP + account may try again (0 if it may now).

    Each rate keeps its hit times newest first; a full rate frees up when its
    amount-th newest hit leaves the window. The longest wait of the full rates wins.
    """
    now = time.time()
    wait = 0.0
    for rate in ratelimit.get_rates(app=APP, action=LOGIN_FAILED):
        cache_key = ratelimit.get_cache_key(request, app=APP, action=LOGIN_FAILED, rate=rate, key=key)
        history = [ts for ts in cache.get(cache_key, []) if ts > now - rate.duration]
        if len(history) >= rate.amount:
            wait = max(wait, history[rate.amount - 1] + rate.duration - now)
    return math.ceil(wait)
