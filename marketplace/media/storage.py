"""Media on S3 (django-storages) whose public URLs stay Atelier's own.

`{{ generation.image.url }}` must keep pointing at the authorising view (/media/<name>), never at the bucket:
a presigned URL written into a page would outlive a withdrawal and skip every permission check. The view
asks for a short-lived presigned URL itself, after deciding who may see the file (`presigned_url`).
"""

from __future__ import annotations

from django.conf import settings
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage


class S3MediaStorage(S3Storage):
    def url(self, name, parameters=None, expire=None, http_method=None):
        return settings.MEDIA_URL + filepath_to_uri(name)

    def presigned_url(self, name: str, *, expire: int, parameters: dict | None = None) -> str:
        """A GET URL of the bucket's object, valid for `expire` seconds."""
        return super().url(name, parameters=parameters, expire=expire)
