import contextlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from marketplace.accounts.models import AccountEvent
from marketplace.accounts.services import account_event_record
from marketplace.core.exceptions import NotAllowed, ServiceError
from marketplace.core.images import (
    MAX_BYTES,
    MAX_SET_PIXELS,
    MAX_SIDE,
    CleanImage,
    ImageRejected,
    clean_image,
    megapixels,
    read_header,
    too_large_message,
)
from marketplace.jobs.dead_letters import register_give_up
from marketplace.jobs.lifecycle import TransitionNotAllowed
from marketplace.jobs.queues import TRAINING_QUEUE
from marketplace.jobs.services import outbox_enqueue
from marketplace.jobs.signing import TRAINING, job_token
from marketplace.jobs.sweeps import register_sweep
from marketplace.notifications.models import Notification
from marketplace.notifications.services import notification_create
from marketplace.styles.models import MAX_PRICE, MIN_PRICE, TRAINING_LIFECYCLE, Style, Tag, TrainingImage
from marketplace.styles.tags import MAX_TAG_LENGTH, normalise_tag

logger = logging.getLogger(__name__)

MIN_TRAINING_IMAGES = 10
MAX_TRAINING_IMAGES = 100
MAX_TAGS = 10


def style_soft_delete(*, style: Style, by) -> Style:
    """Take a style out of the catalog for good; generations already made keep pointing at it.

    Idempotent: a style that is already deleted keeps its first deleted_at.
    """
    with transaction.atomic():
        locked = Style.objects.select_for_update().get(pk=style.pk)
        if locked.deleted_at is None:
            locked.deleted_at = timezone.now()
            locked.save(update_fields=["deleted_at", "updated_at"])
            logger.info("style %s soft-deleted by user %s", locked.pk, by.pk)
    return locked


def _check_can_manage(style: Style, user) -> None:
    if style.artist_id != user.pk and not user.is_staff:
        raise NotAllowed(_("Only the artist who owns this style, or staff, can change it."))


def style_validate_update(*, style: Style, by, tags: list[str], price_per_generation: int) -> list[str]:
    """The rules style_update enforces, checked without writing; returns the tags as they would be saved.

    For forms (the studio, the admin) that show a broken rule next to the
    input before anything is saved. Raises NotAllowed or ServiceError.
    """
    _check_can_manage(style, by)
    if style.deleted_at is not None:
        raise ServiceError(_("This style was deleted; it can no longer be changed."))
    return _clean_listing(tags=tags, price_per_generation=price_per_generation)


def _clean_listing(*, tags: list[str], price_per_generation: int) -> list[str]:
    """The rules for what buyers see, the same on upload and on edit; returns the tags as saved."""
    # Normalised and de-duplicated first, so "Ink, ink " counts as one tag, as it is saved.
    names = list(dict.fromkeys(tag for tag in (normalise_tag(t) for t in tags) if tag))
    if len(names) > MAX_TAGS:
        raise ServiceError(_("Use at most %(max)s tags.") % {"max": MAX_TAGS})
    too_long = [tag for tag in names if len(tag) > MAX_TAG_LENGTH]
    if too_long:
        raise ServiceError(
            _("Tags are at most %(max)s characters: %(tag)s") % {"max": MAX_TAG_LENGTH, "tag": too_long[0]}
        )
    if not MIN_PRICE <= price_per_generation <= MAX_PRICE:
        raise ServiceError(
            _("The price must be between %(min)s and %(max)s tokens.") % {"min": MIN_PRICE, "max": MAX_PRICE}
        )
    return names


def style_update(
    *, style: Style, by, name: str, description: str, tags: list[str], price_per_generation: int,
    commercial_use: bool, credit_required: bool,
) -> Style:
    """Edit what buyers see. Owner or staff only (NotAllowed otherwise); style_validate_update's rules.

    Tags are normalised (tags.normalise_tag) and de-duplicated. A style
    deleted meanwhile is refused with a ServiceError and nothing changes.
    """
    names = style_validate_update(style=style, by=by, tags=tags, price_per_generation=price_per_generation)
    with transaction.atomic():
        locked = Style.objects.select_for_update().get(pk=style.pk)
        if locked.deleted_at is not None:  # deleted since the caller loaded it
            raise ServiceError(_("This style was deleted; it can no longer be changed."))
        locked.name = name
        locked.description = description
        locked.price_per_generation = price_per_generation
        locked.commercial_use = commercial_use
        locked.credit_required = credit_required
        locked.save()
        locked.tags.set([Tag.objects.get_or_create(name=tag)[0] for tag in names])
    return locked


def style_delete(*, style: Style, by) -> str:
    """Delete a style. Owner or staff only.

    A style that has generations is soft-deleted, so those images and their
    ledger history stay intact; one without any is removed for good with
    its files (after commit). Returns "soft" or "hard".
    """
    _check_can_manage(style, by)
    with transaction.atomic():
        locked = Style.objects.select_for_update().get(pk=style.pk)
        if locked.generations.exists():
            style_soft_delete(style=locked, by=by)
            return "soft"
        files = [f for image in locked.training_images.all() for f in (image.image, image.thumbnail) if f]
        if locked.model_path:
            files.append(locked.model_path)
        names = [(f.storage, f.name) for f in files]
        locked.delete()
        transaction.on_commit(lambda: [storage.delete(name) for storage, name in names])
    logger.info("style %s deleted for good by user %s", style.pk, by.pk)
    return "hard"


# --- Training lifecycle (reported by workers through the webhook API) -------------


def _notify_training_result(style: Style) -> None:
    if style.training_status == Style.Status.COMPLETED:
        kind = Notification.Kind.TRAINING_COMPLETE
        message = _("Your style model %(name)s is ready!") % {"name": style.name}
    else:
        kind = Notification.Kind.TRAINING_FAILED
        message = _("Training failed for %(name)s. %(reason)s") % {"name": style.name, "reason": style.failure_reason}
    notification_create(
        recipient=style.artist, kind=kind, message=message, link=style.get_absolute_url(),
        dedupe_key=f"training:{style.pk}:{style.training_status}",
    )


def style_report_training(
    *, style_id: int, status: str, progress: int | None = None, failure_reason: str = ""
) -> tuple[Style, bool]:
    """Apply a worker's report (TRAINING_LIFECYCLE's rules). Returns (style, changed).

    The same report twice changes nothing; a move the lifecycle refuses
    raises TransitionNotAllowed and changes nothing. The artist is notified
    of the outcome exactly once (the notification's dedupe key).
    Raises Style.DoesNotExist for an unknown id.
    """
    with transaction.atomic():
        style = Style.objects.select_for_update().get(pk=style_id)
        changed = TRAINING_LIFECYCLE.advance(style, status=status, progress=progress, failure_reason=failure_reason)
        if changed is None:
            return style, False
        style.save(update_fields=changed)
        if TRAINING_LIFECYCLE.is_finished(style):
            _notify_training_result(style)
        return style, True


def style_store_artifact(*, style_id: int, artifact: File) -> Style:
    """Keep the worker's trained artefact; replaceable until the style is completed or failed."""
    with transaction.atomic():
        style = Style.objects.select_for_update().get(pk=style_id)
        TRAINING_LIFECYCLE.check_open(style)
        old_name = style.model_path.name if style.model_path else ""
        style.model_path.save(f"style-{style.pk}.bin", artifact, save=False)
        style.save(update_fields=["model_path", "updated_at"])
    if old_name and old_name != style.model_path.name:
        style.model_path.storage.delete(old_name)
    return style


@register_sweep
def style_fail_stalled_trainings() -> int:
    """Fail trainings that ran, or waited for a worker, longer than TRAINING_TIMEOUT_MINUTES."""
    minutes = settings.TRAINING_TIMEOUT_MINUTES
    kept = _("Your images are kept; please try again or contact support.")
    return TRAINING_LIFECYCLE.fail_stalled(
        timeout=timedelta(minutes=minutes),
        fail=lambda pk, reason: style_report_training(style_id=pk, status=Style.Status.FAILED, failure_reason=reason),
        ran_too_long=_("Training took longer than %(minutes)s minutes and was stopped.") % {"minutes": minutes}
        + " " + kept,
        nobody_took_it=_("No training worker took this style up within %(minutes)s minutes.") % {"minutes": minutes}
        + " " + kept,
    )


@register_give_up(TRAINING_QUEUE)
def style_give_up_training(payload: dict, reason: str) -> None:
    """The training can never be delivered (it kept killing its worker): fail it and tell the artist."""
    with contextlib.suppress(Style.DoesNotExist, TransitionNotAllowed, KeyError):  # gone or finished meanwhile
        style_report_training(style_id=payload["style_id"], status=Style.Status.FAILED, failure_reason=reason)


# --- Creating a style from an uploaded training set -------------------------------



class UploadRejected(ServiceError):
    """The training set was refused as a whole; `problems` says what is wrong, file by file.

    `refused` maps each file that was itself refused to its problem, so the upload page can mark that
    file and keep the others chosen (a problem of the whole set, such as the count, names no file).
    """

    code = "upload_rejected"

    def __init__(self, problems: list[str], refused: dict[str, str] | None = None) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems
        self.refused = refused or {}


def _clean_training_set(files) -> list[CleanImage]:
    count = len(files)
    if not MIN_TRAINING_IMAGES <= count <= MAX_TRAINING_IMAGES:
        raise UploadRejected([
            _("A training set needs %(min)s to %(max)s images; you sent %(count)s.")
            % {"min": MIN_TRAINING_IMAGES, "max": MAX_TRAINING_IMAGES, "count": count}
        ])
    # Headers first: no pixel is decoded before the whole set is known to fit the budget.
    problems, refused, decoded, over_budget = [], {}, 0, False
    for upload in files:
        try:
            if upload.size > MAX_BYTES:  # stopped while streaming (media/uploadhandlers.py): nothing to read
                raise ImageRejected(too_large_message(upload.name, upload.size))
            decoded += read_header(upload.name, upload).decoded_pixels
        except ImageRejected as exc:
            problems.append(str(exc))
            refused.setdefault(upload.name, str(exc))
            continue
        if decoded > MAX_SET_PIXELS and not over_budget:
            over_budget = True
            problems.append(
                _("With %(name)s the set holds more than %(limit)s megapixels to decode, the limit for one "
                  "training set; send fewer or smaller images (%(side)s px on the long side is plenty).")
                % {"name": upload.name, "limit": megapixels(MAX_SET_PIXELS), "side": MAX_SIDE}
            )
    if problems:
        raise UploadRejected(problems, refused)
    cleaned = []
    for upload in files:
        try:
            cleaned.append(clean_image(upload.name, upload))
        except ImageRejected as exc:
            problems.append(str(exc))
            refused.setdefault(upload.name, str(exc))
    if problems:
        raise UploadRejected(problems, refused)
    return cleaned


class NewArtistCapReached(ServiceError):
    """A new artist (no live style yet) already has a training set in review or training."""

    code = "new_artist_cap"


def style_upload_blocker(artist) -> Style | None:
    """The style that keeps a new artist from uploading another set, or None.

    Becoming an artist is instant and unreviewed, so until a first style is
    live (trained, not hidden by a moderator) an artist may have one set
    waiting or training at a time. A failed or deleted set frees the slot.
    """
    if artist.styles.live().exists():
        return None
    return (
        artist.styles.filter(
            deleted_at__isnull=True, training_status__in=[Style.Status.PENDING, Style.Status.TRAINING]
        ).order_by("created_at").first()
    )


def new_artist_cap_message(blocker: Style) -> str:
    return _(
        "New artists train one style at a time until their first style is live. “%(name)s” is still being "
        "trained: you can upload your next training set as soon as it is ready, or if its training fails."
    ) % {"name": blocker.name}


def style_check_upload_allowed(*, artist, locked: bool = False) -> None:
    """Raise NewArtistCapReached when the new-artist cap refuses another set.

    Called once before the images are read (cheap; records the refusal for
    staff) and again inside style_create's transaction with `locked`, after
    locking the artist's row, so two uploads sent at once cannot both pass.
    """
    if locked:
        get_user_model().objects.select_for_update().only("pk").get(pk=artist.pk)
    blocker = style_upload_blocker(artist)
    if blocker is None:
        return
    if not locked:
        account_event_record(
            user=artist, kind=AccountEvent.Kind.UPLOAD_CAPPED,
            detail=f"waiting for style {blocker.pk} ({blocker.get_training_status_display()})",
        )
    raise NewArtistCapReached(new_artist_cap_message(blocker))


def _unique_slug(name: str) -> str:
    base = slugify(name)[:100] or "style"
    slug = base
    while Style.objects.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


def training_message(style: Style) -> dict:
    """The `model_training` message (docs/schemas/training-message.v1.json)."""
    images = list(style.training_images.order_by("position"))
    site = settings.SITE_URL
    return {
        "version": 1,
        "type": "training",
        "style_id": style.pk,
        "image_paths": [image.image.name for image in images],
        "image_urls": [
            site + reverse("webhooks:training-image", args=[style.pk, image.pk]) for image in images
        ],
        "num_epochs": settings.TRAINING_EPOCHS,
        "style_tags": sorted(style.tags.values_list("name", flat=True)),
        "webhook_url": site + reverse("webhooks:model-status", args=[style.pk]),
        "artifact_url": site + reverse("webhooks:model-artifact", args=[style.pk]),
        # Sent back in Atelier-Job-Token: it lets a worker touch this training only.
        "job_token": job_token(kind=TRAINING, job_id=style.pk, style_id=style.pk),
    }


def style_create(
    *,
    artist,
    name: str,
    description: str,
    tags: list[str],
    price_per_generation: int,
    commercial_use: bool,
    credit_required: bool,
    files,
) -> Style:
    """Create a pending style from a training set and queue its training.

    A new artist has one set in training at a time (style_check_upload_allowed).

    All or nothing: every image is validated first (UploadRejected lists
    each bad file); then the style, its tags, its images and the outbox
    message are written in one transaction. If that fails, the files
    already written are removed, so nothing is left behind.
    """
    tags = _clean_listing(tags=tags, price_per_generation=price_per_generation)
    style_check_upload_allowed(artist=artist)
    cleaned = _clean_training_set(files)
    stored: list = []
    try:
        with transaction.atomic():
            style_check_upload_allowed(artist=artist, locked=True)
            style = Style.objects.create(
                artist=artist, name=name, slug=_unique_slug(name), description=description,
                price_per_generation=price_per_generation, commercial_use=commercial_use,
                credit_required=credit_required,
            )
            style.tags.set([Tag.objects.get_or_create(name=tag)[0] for tag in tags])
            for position, image in enumerate(cleaned):
                training_image = TrainingImage(style=style, position=position, width=image.width, height=image.height)
                stem = f"{style.pk}-{position:03d}-{secrets.token_hex(4)}"
                training_image.image.save(f"{stem}.{image.extension}", ContentFile(image.content), save=False)
                stored.append(training_image.image)
                training_image.thumbnail.save(f"{stem}.jpg", ContentFile(image.thumbnail), save=False)
                stored.append(training_image.thumbnail)
                training_image.save()
            outbox_enqueue(queue=TRAINING_QUEUE, payload=training_message(style))
    except BaseException:
        for field_file in stored:
            field_file.storage.delete(field_file.name)
        raise
    logger.info("style %s created by user %s with %d images", style.pk, artist.pk, len(cleaned))
    return style
