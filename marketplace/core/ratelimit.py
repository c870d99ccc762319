"""Rate limits shared by every process: counters live in the default cache (Redis when REDIS_URL is set).

Each limit is a fixed window counted with the cache's atomic incr (django-redis: one Lua call), so two
gunicorn workers (or two machines) on one Redis count the same hits. Under the embedded default
(local-memory cache) every process counts on its own. The numbers are settings.RATE_LIMITS, one dict
operators can tune (and tests lower); a scope set to "" or None is not limited.

    @login_required
    @require_POST
    @rate_limit("like")          # per user; per="token" keys the worker API by its credential

A refused request is not passed to the view (nothing is saved) and gets 429 with Retry-After: a page
saying when to try again, for htmx a small notice swapped into #rate-limit-notice (base.html) so the
form that asked stays as it is, and for the worker API JSON {"error", "code": "rate_limited", "retry_after"}.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass
from functools import lru_cache, wraps

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

logger = logging.getLogger(__name__)

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
KEY_PREFIX = "rl"
SCOPES: set[str] = set()  # every scope a view is decorated with; a test checks each has a setting


@dataclass(frozen=True)
class Rate:
    amount: int
    seconds: int


@lru_cache(maxsize=64)
def parse_rate(text: str) -> Rate:
    """"20/m", "5/10m", "100/h": an amount per (a multiple of) second, minute, hour or day."""
    amount, _sep, period = text.strip().partition("/")
    unit, multiple = period[-1:], period[:-1] or "1"
    if unit not in UNITS or not amount.isascii() or not amount.isdigit() or not multiple.isdigit():
        raise ValueError(f"rate {text!r}: write N/period, the period one of {', '.join(UNITS)} (e.g. 30/m, 10/h)")
    return Rate(int(amount), int(multiple) * UNITS[unit])


def client_ip(request: HttpRequest) -> str:
    """The client's address by allauth's rule (ALLAUTH_TRUSTED_PROXY_COUNT / ALLAUTH_TRUSTED_CLIENT_IP_HEADER),
    so allauth's login and sign-up limits and ours agree on who is asking."""
    from allauth.account.adapter import get_adapter  # the configured adapter, looked up per call

    try:
        return get_adapter().get_client_ip(request)
    except (PermissionDenied, ImproperlyConfigured):  # no address, or fewer X-Forwarded-For hops than trusted
        return request.META.get("REMOTE_ADDR") or "unknown"


def request_identity(request: HttpRequest, per: str) -> str:
    """Who the hit counts against: "user" (else the IP), "ip", or "token" (the worker API's credential:
    the job token names one job, the deprecated bearer token one deployment; else the user, else the IP)."""
    if per == "token":
        credential = request.headers.get("Atelier-Job-Token") or request.headers.get("Authorization")
        if credential:
            return "token:" + hashlib.sha256(credential.encode()).hexdigest()[:32]
    if per in ("user", "token") and getattr(request, "user", None) is not None and request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"ip:{client_ip(request)}"


def hit(scope: str, identity: str, rate: Rate, *, now: float | None = None) -> int:
    """Count one hit; 0 when it is allowed, else the seconds until the window ends (the Retry-After)."""
    now = time.time() if now is None else now
    window = int(now // rate.seconds)
    ends = (window + 1) * rate.seconds
    key = f"{KEY_PREFIX}:{scope}:{identity}:{window}"
    try:
        count = _incr(key, timeout=math.ceil(ends - now) + 1)
    except Exception:  # the cache being down must not take the site down with it
        logger.warning("rate limit %s not checked: cache unavailable", scope, exc_info=True)
        return 0
    return 0 if count <= rate.amount else max(1, math.ceil(ends - now))


def _incr(key: str, *, timeout: int) -> int:
    # incr is atomic in both backends but refuses a missing key; add is atomic too, so of two processes
    # starting the same window one adds and the other increments.
    try:
        return cache.incr(key)
    except ValueError:
        if cache.add(key, 1, timeout=timeout):
            return 1
        return cache.incr(key)


def retry_text(seconds: int) -> str:
    if seconds < 60:
        return ngettext("Try again in %(n)s second.", "Try again in %(n)s seconds.", seconds) % {"n": seconds}
    if seconds < 3600:
        minutes = math.ceil(seconds / 60)
        return ngettext("Try again in %(n)s minute.", "Try again in %(n)s minutes.", minutes) % {"n": minutes}
    hours = math.ceil(seconds / 3600)
    return ngettext("Try again in %(n)s hour.", "Try again in %(n)s hours.", hours) % {"n": hours}


def _back_url(request: HttpRequest) -> str:
    referer = request.headers.get("Referer", "")
    safe = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return referer if safe else ""


def too_many_requests(request: HttpRequest, retry_after: int, *, api: bool = False) -> HttpResponse:
    message = _("You are doing that too often.") + " " + retry_text(retry_after)
    if api:
        response: HttpResponse = JsonResponse(
            {"error": message, "code": "rate_limited", "retry_after": retry_after}, status=429
        )
    elif getattr(request, "htmx", False) and not request.htmx.history_restore_request:
        # Whatever element asked, the notice goes to the area every page has (base.html), and htmx is told
        # to swap 429s there: the form that was posted stays on the page as the person left it. The notice is
        # at the top of <main>, so it is scrolled into view (a button low on a long page asked).
        context = {"message": message, "retry_after": retry_after}  # the notice clears itself then (atelier.js)
        response = render(request, "429.html#rate-limited", context, status=429)
        response["HX-Retarget"] = "#rate-limit-notice"
        response["HX-Reswap"] = "innerHTML show:top"
    else:
        context = {"message": message, "back_url": _back_url(request)}
        response = render(request, "429.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    patch_vary_headers(response, ["HX-Request"])
    add_never_cache_headers(response)
    return response


def rate_limit(scope: str, *, per: str = "user", methods: tuple[str, ...] = UNSAFE_METHODS, api: bool = False):
    """Limit a view by settings.RATE_LIMITS[scope], counted per user (else IP), "ip" or "token".

    Put it under @login_required (so the user is known) and above anything costly, such as the worker
    API's signature check: a refused call is answered before it is read, and its webhook-id is not spent.
    """
    if per not in ("user", "ip", "token"):
        raise ValueError(f"rate_limit per={per!r}: one of user, ip, token")
    SCOPES.add(scope)

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            spec = settings.RATE_LIMITS.get(scope)
            if spec and request.method in methods:
                identity = request_identity(request, per)
                retry_after = hit(scope, identity, parse_rate(spec))
                if retry_after:
                    logger.info("rate limit %s hit by %s; retry in %ss", scope, identity, retry_after)
                    return too_many_requests(request, retry_after, api=api)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def api_rate_limit(scope: str, *, per: str = "token"):
    """The worker API's limit: every method counts (a status GET too), answered in the API's JSON."""
    return rate_limit(scope, per=per, methods=ALL_METHODS, api=True)
