"""Workers authenticate with `Authorization: Bearer <INTERNAL_API_TOKEN>`.

Compared in constant time; the token never travels in a URL.
"""

from __future__ import annotations

import hmac
from functools import wraps

from django.conf import settings
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from marketplace.webhooks.responses import json_error


def is_worker(request) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token or not settings.INTERNAL_API_TOKEN:
        return False
    return hmac.compare_digest(token.strip().encode(), settings.INTERNAL_API_TOKEN.encode())


def worker_required(view):
    """Only callers holding the worker token; CSRF does not apply (no cookies are used)."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_worker(request):
            return json_error(_("A valid worker token is required."), "forbidden", 403)
        return view(request, *args, **kwargs)

    return wrapper
