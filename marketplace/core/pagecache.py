"""Whole public pages from the cache for visitors who are not signed in (settings.ANON_PAGE_CACHE_SECONDS).

Django's own per-view cache (`cache_page`, django.middleware.cache) does the storing, the keying (method, full
URL with its query, and every header the response varies on) and the expiry; this module only decides who may
be served from it and what may go into it:

- Only a GET or HEAD from a visitor who is not signed in and has no message waiting is looked up or stored.
  A signed-in user never reaches the cache, so their balance and bell are always fresh and never shared.
- A page goes in only if it is a 200 HTML answer that set no cookie, touched no session and message store, and
  did not use the visitor's CSRF token (a page with a form for the visitor, such as login, stays uncached).
- The key varies on HX-Request and HX-History-Restore-Request (core.htmx.wants_fragment): the whole page and
  its htmx fragment are kept apart.
- What leaves says `X-Cache: hit|miss` and `Cache-Control: no-cache`: only this cache keeps the page; a browser or a
  proxy asks again each time, so nothing downstream shows a stale or an anonymous page to someone signed in.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.middleware.cache import CacheMiddleware
from django.utils.cache import patch_vary_headers
from django.utils.decorators import decorator_from_middleware_with_args

KEY_PREFIX = "anon-page"
# The request headers the public views branch on (core.htmx.wants_fragment).
VARY_ON = ("HX-Request", "HX-History-Restore-Request")


def _anonymous_without_messages(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD") or request.user.is_authenticated:
        return False
    # len() loads the waiting messages without marking them read: the page that shows them is rendered as usual.
    return len(get_messages(request)) == 0


def _left_no_trace(request: HttpRequest, response: HttpResponse) -> bool:
    """The page is the same for every anonymous visitor: it set, rotated or stored nothing of theirs."""
    session = getattr(request, "session", None)
    messages = getattr(request, "_messages", None)
    return (
        response.get("Content-Type", "").startswith("text/html")
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not (session is not None and session.modified)
        and not (messages is not None and (messages.used or messages.added_new))
    )


class AnonymousPageCacheMiddleware(CacheMiddleware):
    """Django's CacheMiddleware, storing only what _left_no_trace allows."""

    def _should_update_cache(self, request, response):
        return super()._should_update_cache(request, response) and _left_no_trace(request, response)


def anonymous_cache_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve `view` from the page cache to anonymous visitors for settings.ANON_PAGE_CACHE_SECONDS."""

    @wraps(view)
    def varied(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        patch_vary_headers(response, VARY_ON)  # before the cache learns its key from the response
        return response

    by_seconds: dict[int, Callable[..., HttpResponse]] = {}

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        seconds = settings.ANON_PAGE_CACHE_SECONDS
        if seconds <= 0 or not _anonymous_without_messages(request):
            return view(request, *args, **kwargs)
        if (cached := by_seconds.get(seconds)) is None:  # built once per setting (tests change it)
            cached = by_seconds[seconds] = decorator_from_middleware_with_args(AnonymousPageCacheMiddleware)(
                page_timeout=seconds, key_prefix=KEY_PREFIX
            )(varied)
        response = cached(request, *args, **kwargs)
        hit = getattr(request, "_cache_update_cache", True) is False
        response["X-Cache"] = "hit" if hit else "miss"
        response.headers.pop("Expires", None)
        response["Cache-Control"] = "no-cache"
        return response

    return wrapper
