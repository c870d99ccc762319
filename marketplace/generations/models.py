from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from marketplace.core.models import TimeStampedModel
from marketplace.jobs.lifecycle import COMPLETED, FAILED, JobLifecycle
from marketplace.styles.models import Style, Tag
from worker.protocol import ASPECT_RATIOS

# The one definition of the aspect ratios a buyer can choose: the image's size in pixels, the worker
# protocol's own table (engines draw exactly these). Prices scale with the area in 512×512 tiles
# (pricing.py); labels, checks and templates read it from here.
ASPECT_RATIO_SIZES = ASPECT_RATIOS


def _ratio_label(ratio: str, shape) -> str:
    width, height = ASPECT_RATIO_SIZES[ratio]
    return format_lazy("{} {} ({}×{})", ratio, shape, width, height)


# Hidden by a moderator (hidden_at), on the image or its style, takes it out of every public list and page.
PUBLIC = Q(
    visibility="public", status=COMPLETED, deleted_at__isnull=True, hidden_at__isnull=True,
    style__deleted_at__isnull=True, style__hidden_at__isnull=True,
)


class GenerationQuerySet(models.QuerySet):
    def public(self):
        return self.filter(PUBLIC)

    def visible_to(self, user):
        """Public completed images for everyone; owners and staff also see private, pending and failed ones."""
        if user.is_staff:
            return self
        if user.is_authenticated:
            return self.filter(PUBLIC | Q(user=user, deleted_at__isnull=True))
        return self.public()

    def for_cards(self, viewer=None):
        """Everything components/generation_card.html reads, in one query; with a signed-in
        viewer also `liked` (whether they like it) for the like button. like_count and comment_count
        are the image's own counters (kept by community.services), not counted per request."""
        cards = self.select_related("user", "style__artist")
        if viewer is not None and viewer.is_authenticated:
            mine = apps.get_model("community", "Like").objects.filter(generation=OuterRef("pk"), user=viewer)
            cards = cards.annotate(liked=Exists(mine))
        return cards


class Generation(TimeStampedModel):
    """The seed plan's GeneratedImage: one paid request to draw in a style."""

    class AspectRatio(models.TextChoices):
        SQUARE = "1:1", _ratio_label("1:1", _("square"))
        TALL = "1:2", _ratio_label("1:2", _("portrait"))
        LARGE = "2:2", _ratio_label("2:2", _("large square"))

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        PROCESSING = "processing", _("Processing")
        COMPLETED = COMPLETED, _("Completed")
        FAILED = FAILED, _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        PRIVATE = "private", _("Private")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generations")
    style = models.ForeignKey(Style, on_delete=models.PROTECT, related_name="generations")
    prompt = models.CharField(_("prompt"), max_length=1100)
    tags = models.ManyToManyField(Tag, through="GenerationTag", related_name="generations", blank=True)
    aspect_ratio = models.CharField(_("aspect ratio"), max_length=3, choices=AspectRatio.choices)
    seed = models.BigIntegerField(_("seed"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    cost = models.PositiveIntegerField(_("cost (tokens)"))
    image = models.ImageField(_("image"), upload_to="generations/", blank=True)
    failure_reason = models.TextField(_("failure reason"), blank=True)
    visibility = models.CharField(
        _("visibility"), max_length=7, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    # Set by the form so a resubmitted or double-clicked form creates one generation.
    request_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Deleting keeps the row (its charge, refund and earning stay in the ledger) but drops the picture.
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Set by moderation (community.moderation): gone for everyone but the owner and staff.
    hidden_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Denormalised for the feed and cards, changed only by community.services and moderation in the same
    # transaction as the like or comment, with F() so concurrent changes add up: likes, and comments not
    # hidden by a moderator (what a visitor sees counted).
    like_count = models.PositiveIntegerField(_("likes"), default=0, editable=False)
    comment_count = models.PositiveIntegerField(_("comments"), default=0, editable=False)

    objects = GenerationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "created_at"], name="generation_user_created_idx"),
            models.Index(fields=["visibility", "status", "created_at"], name="generation_feed_idx"),
            # The public feed's keyset (Latest: ORDER BY created_at DESC, id DESC), only over public rows.
            models.Index(
                fields=["-created_at", "-id"], name="generation_public_feed_idx",
                condition=Q(visibility="public", status=COMPLETED, deleted_at__isnull=True, hidden_at__isnull=True),
            ),
            # The queue snapshot (jobs.lifecycle): only the waiting and running rows, in line order.
            models.Index(
                fields=["created_at", "id"], condition=Q(status__in=["queued", "processing"]),
                name="generation_unfinished_idx",
            ),
            # The running average's seed: the latest completed jobs.
            models.Index(fields=["-finished_at"], condition=Q(status=COMPLETED), name="generation_completed_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(cost__gt=0), name="generation_cost_positive"),
            models.CheckConstraint(condition=models.Q(seed__gte=0), name="generation_seed_non_negative"),
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="generation_progress_max_100"),
            models.CheckConstraint(
                condition=models.Q(aspect_ratio__in=list(ASPECT_RATIO_SIZES)), name="generation_aspect_ratio_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.style} – {self.prompt[:40]}"

    def get_absolute_url(self) -> str:
        return reverse("community:image", kwargs={"pk": self.pk})

    @property
    def width(self) -> int:
        return ASPECT_RATIO_SIZES[self.aspect_ratio][0]

    @property
    def height(self) -> int:
        return ASPECT_RATIO_SIZES[self.aspect_ratio][1]


GENERATION_LIFECYCLE = JobLifecycle(
    model=Generation, status_field="status", progress_field="progress",
    started_field="started_at", completed_field="finished_at", failed_field="finished_at",
    output_field="image", output_name="image", output_label=_("image"),
    waiting=Generation.Status.QUEUED, running=Generation.Status.PROCESSING,
    completed=Generation.Status.COMPLETED, failed=Generation.Status.FAILED, cancelled=Generation.Status.CANCELLED,
    default_failure_reason=_("The image worker stopped without giving a reason."),
)


class GenerationTag(models.Model):
    generation = models.ForeignKey(Generation, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["generation", "tag"], name="generationtag_unique")]
