"""Size limits on uploads, applied while the request arrives rather than after it is spooled.

- RequestSizeLimitMiddleware refuses a request whose Content-Length is over
  settings.UPLOAD_MAX_REQUEST_BYTES with a 413 page, before anything reads the
  body (CsrfViewMiddleware would otherwise parse, and spool, all of it first).
  nginx refuses the same bodies (deploy/nginx/atelier.conf client_max_body_size);
  this covers gunicorn without nginx in front, and requests nginx let through.
- SizeLimitedUploadHandler (first in FILE_UPLOAD_HANDLERS) counts each file's
  bytes as they stream in. Past settings.UPLOAD_MAX_FILE_BYTES it stops passing
  them on, so the rest is neither kept in memory nor written to disk, and hands
  the form an empty TooLargeUpload whose `size` is the file's real size: the
  services' size check (e.g. core.images.too_large_message) names the file.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.shortcuts import render
from django.utils.translation import gettext as _

from marketplace.core.images import megabytes
from marketplace.webhooks.responses import json_error


class TooLargeUpload(UploadedFile):
    """A file stopped at the per-file limit: its name and real size, none of its content."""

    def __init__(self, name: str, size: int, content_type: str | None) -> None:
        super().__init__(io.BytesIO(), name=name, content_type=content_type, size=size)


class SizeLimitedUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_FILE_BYTES:
            return None  # the handlers after this one (memory, temporary file) get no more of it
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.received > settings.UPLOAD_MAX_FILE_BYTES:
            return TooLargeUpload(self.file_name, self.received, self.content_type)
        return None  # within the limit: the next handler returns the file it kept


class RequestSizeLimitMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django's own parsing refuses it later
        if length > settings.UPLOAD_MAX_REQUEST_BYTES:
            size, limit = megabytes(length), megabytes(settings.UPLOAD_MAX_REQUEST_BYTES)
            if request.path.startswith("/api/"):  # the worker API answers JSON (docs/worker-protocol.md)
                message = _("The request is %(size)s; the limit is %(limit)s.") % {"size": size, "limit": limit}
                return json_error(message, "too_large", 413)
            return render(request, "413.html", {"size": size, "limit": limit}, status=413)
        return self.get_response(request)
