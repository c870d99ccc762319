"""Who may read which stored file: the owning row is found from the storage name, in one indexed query.

Every upload_to folder has one rule (a name in no folder, or in no row, is nobody's file: 404):

- generations/       the image of a Generation visible to the requester (public ones to everyone, private,
                     pending, failed and moderated ones to their owner and staff; a deleted one to staff only,
                     and its file is removed anyway).
- training/thumbs/   thumbnails of a training set: the catalog's covers and samples, so public while the style
                     is live; otherwise to the artist, staff and the worker.
- training/          the training originals: only the artist, staff and a worker whose job is that style.
- models/            the trained model: only the artist, staff and a worker whose job is that style (its
                     training or one of its images); always a download.
- avatars/           public.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass

from marketplace.accounts.models import User
from marketplace.generations.models import Generation
from marketplace.styles.models import Style, TrainingImage
from marketplace.webhooks.auth import worker_may_read_style

# Only these are rendered by the browser; anything else is sent as a download (no HTML, no SVG, ever inline).
INLINE_TYPES = {"image/png", "image/jpeg", "image/webp", "image/gif"}


@dataclass(frozen=True)
class MediaFile:
    name: str
    content_type: str
    attachment: bool


def _served(name: str, *, download: bool = False) -> MediaFile:
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if content_type not in INLINE_TYPES:
        content_type, download = "application/octet-stream", True
    return MediaFile(name=name, content_type=content_type, attachment=download)


def _is_insider(request, style_id: int, artist_id: int) -> bool:
    """The style's artist, staff, or a verified worker whose job token names this style (or the deprecated
    bearer token without one)."""
    user = request.user
    if user.is_authenticated and (user.is_staff or user.pk == artist_id):
        return True
    return worker_may_read_style(request, style_id)


def _generation(request, name: str) -> bool:
    return Generation.objects.visible_to(request.user).filter(image=name).exists()


def _thumbnail(request, name: str) -> bool:
    image = TrainingImage.objects.select_related("style").filter(thumbnail=name).first()
    return image is not None and (
        image.style.is_live or _is_insider(request, image.style_id, image.style.artist_id)
    )


def _training_image(request, name: str) -> bool:
    row = TrainingImage.objects.filter(image=name).values_list("style_id", "style__artist_id").first()
    return row is not None and _is_insider(request, *row)


def _model(request, name: str) -> bool:
    row = Style.objects.filter(model_path=name).values_list("pk", "artist_id").first()
    return row is not None and _is_insider(request, *row)


def _avatar(request, name: str) -> bool:
    return User.objects.filter(avatar=name).exists()


# Longest prefix first: training/thumbs/ is inside training/.
RULES = (
    ("generations/", _generation, False),
    ("training/thumbs/", _thumbnail, False),
    ("training/", _training_image, False),
    ("models/", _model, True),
    ("avatars/", _avatar, False),
)


def readable_file(request, name: str) -> MediaFile | None:
    """The file `name` as `request`'s sender may read it, or None (answer 404: say nothing about whether it
    exists)."""
    if not name or name.startswith("/") or "\\" in name or "\x00" in name or ".." in name.split("/"):
        return None
    for prefix, allowed, download in RULES:
        if name.startswith(prefix):
            return _served(name, download=download) if allowed(request, name) else None
    return None
