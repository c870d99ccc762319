"""Generations: paying for one, its lifecycle as workers report it, refunds and earnings.

Every charge and refund goes through marketplace.ledger.services; a
generation is charged once (the debit's key is the generation's id) and
refunded at most once (the ledger allows one refund per debit).
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.core.exceptions import NotAllowed, ServiceError
from marketplace.core.images import MAX_PIXELS, CleanImage, ImageRejected, ImageRules, clean_image, read_header
from marketplace.generations.exceptions import PriceChanged
from marketplace.generations.models import ASPECT_RATIO_SIZES, GENERATION_LIFECYCLE, Generation, GenerationTag
from marketplace.generations.pricing import generation_cost
from marketplace.jobs.dead_letters import register_give_up
from marketplace.jobs.lifecycle import TransitionNotAllowed
from marketplace.jobs.queues import GENERATION_QUEUE
from marketplace.jobs.services import outbox_enqueue
from marketplace.jobs.signing import GENERATION, job_token
from marketplace.jobs.sweeps import register_sweep
from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.reasons import (
    GENERATION_CHARGE,
    REFUND_CANCELLED,
    REFUND_FAILED,
    REFUND_NOT_TAKEN,
    REFUND_TIMED_OUT,
    ledger_reason,
)
from marketplace.ledger.services import ledger_credit_earning, ledger_debit, ledger_refund
from marketplace.notifications.models import Notification
from marketplace.notifications.services import notification_create
from marketplace.styles.counters import style_counters_add
from marketplace.styles.models import Style, Tag
from marketplace.styles.tags import MAX_TAG_LENGTH, normalise_tag

logger = logging.getLogger(__name__)

MIN_PROMPT_TAGS = 1
MAX_PROMPT_TAGS = 20
MAX_SEED = 2**63 - 1
MAX_IMAGE_BYTES = 20 * 1024 * 1024

def clean_prompt_tags(tags: list[str]) -> list[str]:
    cleaned = list(dict.fromkeys(tag for tag in (normalise_tag(t) for t in tags) if tag))
    if not MIN_PROMPT_TAGS <= len(cleaned) <= MAX_PROMPT_TAGS:
        raise ServiceError(
            _("Describe the image with %(min)s to %(max)s tags.") % {"min": MIN_PROMPT_TAGS, "max": MAX_PROMPT_TAGS}
        )
    too_long = [tag for tag in cleaned if len(tag) > MAX_TAG_LENGTH]
    if too_long:
        raise ServiceError(
            _("Each tag is at most %(max)s characters: “%(tag)s” is longer.")
            % {"max": MAX_TAG_LENGTH, "tag": too_long[0]}
        )
    return cleaned


def generation_message(generation: Generation) -> dict:
    """The `image_generation` message (docs/schemas/generation-message.v1.json)."""
    site = settings.SITE_URL
    width, height = ASPECT_RATIO_SIZES[generation.aspect_ratio]
    # The prompt keeps the tags in the order the user gave them (the M2M has no order); the
    # worker's output depends on that order, so a remix must see the same one.
    tags = generation.prompt.split(", ")
    return {
        "version": 1,
        "type": "generation",
        "generation_id": generation.pk,
        "style_id": generation.style_id,
        "lora_path": generation.style.model_path.name,
        "lora_url": site + reverse("webhooks:model-artifact", args=[generation.style_id]),
        "prompt": generation.prompt,
        "prompt_tags": tags,
        "aspect_ratio": generation.aspect_ratio,
        "width": width,
        "height": height,
        "seed": generation.seed,
        "webhook_url": site + reverse("webhooks:image-status", args=[generation.pk]),
        "image_upload_url": site + reverse("webhooks:image-upload", args=[generation.pk]),
        # Sent back in Atelier-Job-Token: this image and its style's model, nothing else.
        "job_token": job_token(kind=GENERATION, job_id=generation.pk, style_id=generation.style_id),
    }


def generation_submit(
    *, user, style_id: int, prompt_tags: list[str], aspect_ratio: str, seed: int | None, request_key: uuid.UUID,
    quoted_cost: int | None = None,
) -> Generation:
    """Charge the user and queue one image, in one transaction.

    The price comes from the style, never from the client. quoted_cost is
    the price the buyer was shown (the generate form always sends it): when
    the style's price now gives another cost, PriceChanged is raised and
    nothing is charged; None is for callers that show no price. The same
    request_key (one per rendered form) always yields the same generation,
    charged once; `user.token_balance` is left at the balance after the
    charge. Raises InsufficientTokens (nothing charged or created) or
    ServiceError for bad input.
    """
    # A form used twice is caught by the unique request_key (IntegrityError below), not by a query up front.
    tags = clean_prompt_tags(prompt_tags)
    if aspect_ratio not in ASPECT_RATIO_SIZES:
        raise ServiceError(_("Choose an aspect ratio: %(ratios)s.") % {"ratios": ", ".join(ASPECT_RATIO_SIZES)})
    if seed is None:
        seed = secrets.randbelow(2**32)
    if not 0 <= seed <= MAX_SEED:
        raise ServiceError(_("The seed must be a whole number from 0 to %(max)s.") % {"max": MAX_SEED})
    try:
        with transaction.atomic():
            # Locked until the charge commits: a price change or a delete (style_update, style_delete
            # lock the same row) lands wholly before the check, or after the generation exists.
            style = Style.objects.select_for_update().live().filter(pk=style_id).first()
            if style is None or not style.model_path:
                raise ServiceError(_("This style is not available for generation."))
            cost = generation_cost(price_per_generation=style.price_per_generation, aspect_ratio=aspect_ratio)
            if quoted_cost is not None and quoted_cost != cost:
                raise PriceChanged(quoted=quoted_cost, current=cost)
            generation = Generation.objects.create(
                user=user, style=style, prompt=", ".join(tags), aspect_ratio=aspect_ratio, seed=seed, cost=cost,
                request_key=request_key,
            )
            _tag(generation, tags)
            debit = ledger_debit(
                user_id=user.pk, amount=cost, generation=generation, idempotency_key=f"generation:{generation.pk}",
                reason=ledger_reason(GENERATION_CHARGE, style=style.name),
            )
            outbox_enqueue(queue=GENERATION_QUEUE, payload=generation_message(generation))
    except IntegrityError:
        # This form was submitted before (or concurrently, and that submit won the unique request_key).
        return _same_request(Generation.objects.get(request_key=request_key), user)
    except ServiceError:
        # A resubmitted form returns its generation even if the price or the style changed since.
        existing = Generation.objects.filter(request_key=request_key).first()
        if existing is None:
            raise
        return _same_request(existing, user)
    user.token_balance = debit.balance_after  # the caller's user shows the balance it now has
    return generation


def _tag(generation: Generation, names: list[str]) -> None:
    """Link the prompt tags, creating the new ones: one statement on PostgreSQL however many tags there are.

    The CTE inserts the missing tags (ON CONFLICT DO NOTHING) and the links take its new ids plus the
    tags that already existed. A tag another submit commits while this statement runs is in neither
    (the statement's snapshot predates it): those few, and every tag on other databases, are linked
    by the portable path (insert ignoring conflicts, read the ids, insert the links).
    """
    linked = 0
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        tag, link = quote(Tag._meta.db_table), quote(GenerationTag._meta.db_table)
        name = quote("name")
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH new AS (INSERT INTO {tag} ({name}, {quote('created_at')}) SELECT unnest(%s::text[]), %s "
                f"ON CONFLICT ({name}) DO NOTHING RETURNING id) "
                f"INSERT INTO {link} ({quote('generation_id')}, {quote('tag_id')}) "
                f"SELECT %s, id FROM new UNION SELECT %s, id FROM {tag} WHERE {name} = ANY(%s)",
                [names, timezone.now(), generation.pk, generation.pk, names],
            )
            linked = cursor.rowcount
    if linked < len(names):
        Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
        missing = Tag.objects.filter(name__in=names).exclude(generations=generation)
        GenerationTag.objects.bulk_create([GenerationTag(generation=generation, tag=tag) for tag in missing])


def _same_request(generation: Generation, user) -> Generation:
    if generation.user_id != user.pk:
        raise ServiceError(_("This form was already used."))
    user.refresh_from_db(fields=["token_balance"])  # charged by the first submit, maybe after `user` was read
    return generation


def _refund(generation: Generation) -> LedgerEntry | None:
    debit = generation.ledger_entries.filter(kind=LedgerEntry.Kind.CONSUME).first()
    if debit is None:
        return None
    return ledger_refund(debit_id=debit.pk, reason=_refund_reason(generation))


def _refund_reason(generation: Generation) -> str:
    """The refund's reason code (ledger.reasons): the owner's cancel, a timeout, or the worker's failure."""
    if generation.status == Generation.Status.CANCELLED:
        return ledger_reason(REFUND_CANCELLED)
    # generation_fail_stalled reports through generation_report as a worker would; its words are its only
    # mark, so they are compared here in the same (active) language it wrote them in.
    minutes = settings.GENERATION_TIMEOUT_MINUTES
    if generation.failure_reason == _("The image took longer than %(minutes)s minutes and was stopped.") % {
        "minutes": minutes
    }:
        return ledger_reason(REFUND_TIMED_OUT, minutes=minutes)
    if generation.failure_reason == _("No image worker took this job up within %(minutes)s minutes.") % {
        "minutes": minutes
    }:
        return ledger_reason(REFUND_NOT_TAKEN, minutes=minutes)
    return ledger_reason(REFUND_FAILED)


def _after_failure(generation: Generation) -> None:
    """Refund a failed or cancelled generation (at most once); tell the owner why it failed."""
    refund = _refund(generation)
    if generation.status == Generation.Status.FAILED:
        refunded = refund.amount if refund else 0
        notification_create(
            recipient=generation.user, kind=Notification.Kind.GENERATION_FAILED,
            message=_("Your image in %(style)s failed: %(reason)s %(n)s tokens refunded.")
            % {"style": generation.style.name, "reason": generation.failure_reason, "n": refunded},
            link=generation.get_absolute_url(), dedupe_key=f"generation:{generation.pk}:failed",
        )


def _advance(generation: Generation, *, status: str, progress: int | None = None, failure_reason: str = "") -> bool:
    """Move a locked generation through GENERATION_LIFECYCLE and apply the domain's side effects."""
    changed = GENERATION_LIFECYCLE.advance(generation, status=status, progress=progress, failure_reason=failure_reason)
    if changed is None:
        return False
    generation.save(update_fields=changed)
    if generation.status == Generation.Status.COMPLETED:
        style_counters_add(style_id=generation.style_id, generations=1)  # the catalog's popular order, the style page
        ledger_credit_earning(generation=generation)
        notification_create(
            recipient=generation.user, kind=Notification.Kind.GENERATION_COMPLETE,
            message=_("Your image in %(style)s is ready.") % {"style": generation.style.name},
            link=generation.get_absolute_url(), dedupe_key=f"generation:{generation.pk}:completed",
        )
    elif GENERATION_LIFECYCLE.is_finished(generation):
        _after_failure(generation)
    return True


def generation_report(
    *, generation_id: int, status: str, progress: int | None = None, failure_reason: str = ""
) -> tuple[Generation, bool]:
    """Apply a worker's report (GENERATION_LIFECYCLE's rules). Returns (generation, changed).

    The same report twice changes nothing; anything the lifecycle refuses
    raises TransitionNotAllowed (a report after a timeout or a cancel
    included; a worker can never cancel). Failure refunds the cost once;
    completion pays the artist once.
    """
    with transaction.atomic():
        generation = Generation.objects.select_for_update().select_related("style").get(pk=generation_id)
        if status not in GENERATION_LIFECYCLE.worker_reports:
            raise TransitionNotAllowed(_("A worker cannot report %(status)s.") % {"status": status})
        return generation, _advance(generation, status=status, progress=progress, failure_reason=failure_reason)


def generation_cancel(*, user, generation_id: int) -> Generation:
    """The owner cancels a generation still waiting in the queue; its cost is refunded."""
    with transaction.atomic():
        generation = user.generations.select_for_update().select_related("style").get(pk=generation_id)
        if generation.status not in (Generation.Status.QUEUED, Generation.Status.CANCELLED):
            raise TransitionNotAllowed(_("Only an image still waiting in the queue can be cancelled."))
        _advance(generation, status=Generation.Status.CANCELLED, failure_reason=_("Cancelled by you."))
        return generation


def _clean_image(data: bytes, aspect_ratio: str) -> CleanImage:
    """The worker's image re-encoded (core/images.py: nothing but its pixels); its size checked from the header."""
    width, height = ASPECT_RATIO_SIZES[aspect_ratio]
    rules = ImageRules(max_bytes=MAX_IMAGE_BYTES, max_pixels=MAX_PIXELS, min_short_side=1, max_side=max(width, height))
    try:
        header = read_header(_("The upload"), data, rules)
        if (header.width, header.height) != (width, height):
            raise ServiceError(
                _("A %(ratio)s image must be %(w)s×%(h)s pixels; this one is %(aw)s×%(ah)s.")
                % {"ratio": aspect_ratio, "w": width, "h": height, "aw": header.width, "ah": header.height}
            )
        return clean_image(_("The upload"), data, rules)
    except ImageRejected as exc:
        raise ServiceError(str(exc)) from None


def generation_store_image(*, generation_id: int, data: bytes) -> Generation:
    """Keep the worker's image after checking it with Pillow; refused once the generation has ended."""
    with transaction.atomic():
        generation = Generation.objects.select_for_update().get(pk=generation_id)
        GENERATION_LIFECYCLE.check_open(generation)
        image = _clean_image(data, generation.aspect_ratio)
        old = generation.image.name if generation.image else ""
        name = f"{generation.pk}-{secrets.token_hex(4)}.{image.extension}"
        generation.image.save(name, ContentFile(image.content), save=False)
        generation.save(update_fields=["image", "updated_at"])
    if old:
        generation.image.storage.delete(old)
    return generation


@register_sweep
def generation_fail_stalled() -> int:
    """Fail and refund generations that ran, or waited for a worker, longer than GENERATION_TIMEOUT_MINUTES."""
    minutes = settings.GENERATION_TIMEOUT_MINUTES
    return GENERATION_LIFECYCLE.fail_stalled(
        timeout=timedelta(minutes=minutes),
        fail=lambda pk, reason: generation_report(
            generation_id=pk, status=Generation.Status.FAILED, failure_reason=reason
        ),
        ran_too_long=_("The image took longer than %(minutes)s minutes and was stopped.") % {"minutes": minutes},
        nobody_took_it=_("No image worker took this job up within %(minutes)s minutes.") % {"minutes": minutes},
    )


@register_give_up(GENERATION_QUEUE)
def generation_give_up(payload: dict, reason: str) -> None:
    """The job can never be delivered (it kept killing its worker): fail it, which refunds it."""
    with contextlib.suppress(Generation.DoesNotExist, TransitionNotAllowed, KeyError):  # gone or finished meanwhile
        generation_report(
            generation_id=payload["generation_id"], status=Generation.Status.FAILED, failure_reason=reason
        )


def generation_set_visibility(*, user, generation_id: int, public: bool) -> Generation:
    """Publish a finished image to the feed, or withdraw it. Only the owner's own, only completed ones.

    Nobody else can publish an image, staff included; staff withdraw through generation_withdraw.
    """
    with transaction.atomic():
        generation = user.generations.select_for_update().get(pk=generation_id, deleted_at__isnull=True)
        if public and generation.status != Generation.Status.COMPLETED:
            raise ServiceError(_("Only a finished image can be published."))
        generation.visibility = Generation.Visibility.PUBLIC if public else Generation.Visibility.PRIVATE
        generation.save(update_fields=["visibility", "updated_at"])
        return generation


def generation_withdraw(*, by, generation_id: int) -> Generation:
    """Take an image out of the public feed: its owner may, and so may staff (moderation).

    Idempotent: an image that is already private (a deleted one included) is
    returned unchanged. Raises NotAllowed for anyone else and
    Generation.DoesNotExist for an unknown id.
    """
    with transaction.atomic():
        generation = Generation.objects.select_for_update().get(pk=generation_id)
        if generation.user_id != by.pk and not by.is_staff:
            raise NotAllowed(_("Only the owner of this image, or staff, can withdraw it from the feed."))
        if generation.visibility != Generation.Visibility.PRIVATE:
            generation.visibility = Generation.Visibility.PRIVATE
            generation.save(update_fields=["visibility", "updated_at"])
            logger.info("generation %s withdrawn from the feed by user %s", generation.pk, by.pk)
        return generation


def generation_delete(*, user, generation_id: int) -> None:
    """Remove the owner's image from everywhere; the row stays so the ledger keeps its history."""
    with transaction.atomic():
        generation = user.generations.select_for_update().get(pk=generation_id, deleted_at__isnull=True)
        if generation.status in (Generation.Status.QUEUED, Generation.Status.PROCESSING):
            raise ServiceError(_("Cancel or wait for this image to finish before deleting it."))
        name = generation.image.name if generation.image else ""
        generation.deleted_at = timezone.now()
        generation.visibility = Generation.Visibility.PRIVATE
        generation.image = ""
        generation.save(update_fields=["deleted_at", "visibility", "image", "updated_at"])
        if name:
            storage = generation.image.storage
            transaction.on_commit(lambda: storage.delete(name))
