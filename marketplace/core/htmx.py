"""One way to answer a page that htmx may also ask for a fragment of (django-htmx's partial-rendering idiom)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from marketplace.core.types import HtmxHttpRequest


def wants_fragment(request: HtmxHttpRequest) -> bool:
    """An htmx swap wants a fragment; a history restore (cache miss on Back) needs the whole page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def render_page(
    request: HtmxHttpRequest, template: str, context: dict | None = None, *,
    fragment: str | None = None, status: int = 200,
) -> HttpResponse:
    """Render `template`, or only its partial `fragment` when wants_fragment(request).

    The same URL answers in two shapes: core.headers adds `Vary: HX-Request` to every HTML answer.
    """
    name = f"{template}#{fragment}" if fragment and wants_fragment(request) else template
    return render(request, name, context, status=status)
