"""Response headers that Django's SecurityMiddleware and CSP middleware do not set (README, "Security headers").

- Permissions-Policy: no page of Atelier uses a camera, a microphone, a location or a payment sheet, so every
  powerful feature is off, for the page and anything it could embed.
- Cross-Origin-Resource-Policy on /media/: another site cannot embed our stored files (whose access the media
  view decides) into its own pages.
- Cache-Control: private for a signed-in user: the page carries their name, balance and bell, and a shared cache
  must never hand it to someone else. A view that chose its own Cache-Control keeps it.
- Vary: HX-Request on every HTML answer: a URL answers with a whole page or, to htmx, with a fragment of it
  (core.htmx.render_page, the job card, the cost), so caches must keep the two apart.

Static files never get here: WhiteNoise answers them earlier in MIDDLEWARE.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers

# Features Chromium knows (an unknown name is a console warning), all off.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "geolocation", "gyroscope",
        "hid", "idle-detection", "magnetometer", "microphone", "midi", "payment", "picture-in-picture",
        "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
    )
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if request.path.startswith(settings.MEDIA_URL):
            response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if "Cache-Control" not in response and request.user.is_authenticated:
            patch_cache_control(response, private=True)
        if response.get("Content-Type", "").startswith("text/html"):
            patch_vary_headers(response, ["HX-Request"])
        return response
