"""Raw request bodies streamed to a temporary file.

Workers PUT artefacts and images as raw bytes. Reading `request.body` would
load them into memory and hit DATA_UPLOAD_MAX_MEMORY_SIZE, so the stream is
copied in chunks with its own limit.
"""

import tempfile

from django.core.files import File

CHUNK = 1024 * 1024


class TooLarge(Exception):
    pass


def read_body_to_file(request, *, max_bytes: int) -> File:
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > max_bytes:
        raise TooLarge
    spool = tempfile.SpooledTemporaryFile(max_size=8 * CHUNK)  # noqa: SIM115 (handed to the caller, who closes it)
    size = 0
    while chunk := request.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            spool.close()
            raise TooLarge
        spool.write(chunk)
    spool.seek(0)
    return File(spool, name="upload")
