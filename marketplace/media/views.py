"""GET /media/<name>: every stored file goes through here, so who may read it is decided in one place.

How the allowed bytes leave depends on MEDIA_SERVE:
- "stream": this process streams the file (make run; runserver or gunicorn alone).
- "accel":  an empty answer with X-Accel-Redirect, and nginx sends the file from its `internal`
            /protected-media/ location (deploy/nginx/atelier.conf): no Python thread is held by a download.
- "s3":     a redirect to a presigned URL of the bucket, valid MEDIA_PRESIGN_SECONDS.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from marketplace.core.types import HtmxHttpRequest
from marketplace.media.access import MediaFile, readable_file

# The browser may keep a copy but must ask again before using it, so a withdrawn image is gone at once.
CACHE_CONTROL = "private, no-cache"


def _headers(response: HttpResponse, media: MediaFile) -> HttpResponse:
    response["Content-Type"] = media.content_type
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = CACHE_CONTROL
    filename = media.name.rsplit("/", 1)[-1]
    response["Content-Disposition"] = content_disposition_header(media.attachment, filename)
    return response


@require_safe
def media(request: HtmxHttpRequest, name: str) -> HttpResponse:
    served = readable_file(request, name)
    if served is None:
        raise Http404("No such file.")
    mode = settings.MEDIA_SERVE
    if mode == "accel":
        response = HttpResponse()
        response["X-Accel-Redirect"] = settings.MEDIA_ACCEL_PREFIX + quote(served.name)
        return _headers(response, served)
    if mode == "s3":
        url = default_storage.presigned_url(
            served.name, expire=settings.MEDIA_PRESIGN_SECONDS,
            parameters={
                "ResponseContentType": served.content_type,
                "ResponseContentDisposition": content_disposition_header(
                    served.attachment, served.name.rsplit("/", 1)[-1]
                ),
            },
        )
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"  # the signature expires: never reuse the redirect
        return response
    try:
        handle = default_storage.open(served.name, "rb")
    except FileNotFoundError:
        raise Http404("No such file.") from None
    return _headers(FileResponse(handle), served)
