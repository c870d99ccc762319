from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from marketplace.core.models import TimeStampedModel
from marketplace.jobs.lifecycle import COMPLETED, FAILED, JobLifecycle

MIN_PRICE = 1
MAX_PRICE = 1000


class TagQuerySet(models.QuerySet):
    def in_use(self):
        """Tags on at least one live style, each with `style_count`: counted on every read, so adding,
        retagging, soft-deleting or deleting a style is reflected at once."""
        live = Q(
            styles__training_status=Style.Status.COMPLETED, styles__deleted_at__isnull=True,
            styles__hidden_at__isnull=True,
        )
        return self.annotate(style_count=models.Count("styles", filter=live)).filter(style_count__gt=0)


class Tag(models.Model):
    """A lowercase label shared by styles (catalog filters) and generations (prompt tags)."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(name=models.functions.Lower("name")) & ~models.Q(name=""),
                name="tag_name_lowercase_nonempty",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StyleQuerySet(models.QuerySet):
    def live(self):
        """Trained, not deleted and not hidden by a moderator: what the catalog lists and people generate with."""
        return self.filter(training_status=Style.Status.COMPLETED, deleted_at__isnull=True, hidden_at__isnull=True)

    def visible_to(self, user):
        """Live styles for everyone; owners and staff also see unlisted ones (pending, failed, deleted)."""
        if user.is_staff:
            return self
        if user.is_authenticated:
            return self.filter(
                Q(training_status=Style.Status.COMPLETED, deleted_at__isnull=True, hidden_at__isnull=True)
                | Q(artist=user)
            )
        return self.live()

    def for_cards(self):
        """Everything components/style_card.html reads, in a fixed number of queries."""
        # Only the first image per style, not whole training sets of up to 100. A sliced Prefetch would
        # need to_attr; filtering keeps style.training_images.all usable, which the card template reads.
        first_image = (
            TrainingImage.objects.filter(style=models.OuterRef("style")).order_by("position", "id").values("pk")[:1]
        )
        cover = models.Prefetch(
            "training_images", queryset=TrainingImage.objects.filter(pk=models.Subquery(first_image))
        )
        return self.select_related("artist").prefetch_related("tags", cover)

    # Tag filters take normalised names (tags.parse_tags) and run as subqueries, so they never
    # multiply rows and combine freely with each other and with any ordering or annotation.
    def tagged_all(self, names):
        """Styles carrying every one of `names` (the catalog's AND)."""
        if not names:
            return self
        having_all = (
            StyleTag.objects.filter(tag__name__in=names)
            .values("style")
            .annotate(matched=models.Count("tag"))
            .filter(matched=len(set(names)))
            .values("style")
        )
        return self.filter(pk__in=having_all)

    def tagged_any(self, names):
        """Styles carrying at least one of `names` (OR)."""
        if not names:
            return self
        return self.filter(models.Exists(StyleTag.objects.filter(style=models.OuterRef("pk"), tag__name__in=names)))

    def tagged_none(self, names):
        """Styles carrying none of `names` (NOT)."""
        if not names:
            return self
        return self.exclude(models.Exists(StyleTag.objects.filter(style=models.OuterRef("pk"), tag__name__in=names)))

    def for_studio(self, *, earnings):
        """The artist's undeleted styles, newest first, each with its `earnings` (an expression from
        ledger.selectors.ledger_earned_per_style); the images made are the style's generation_count."""
        return self.filter(deleted_at__isnull=True).annotate(earnings=earnings).order_by("-created_at", "-id")

    def popular(self):
        """Most completed generations first (the generation_count counter, on style_popular_idx for live
        styles); ties (and styles nobody used) newest first."""
        return self.order_by("-generation_count", "-created_at", "-id")


class Style(TimeStampedModel):
    """The seed plan's StyleModel: a trained (or training) LoRA style."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        TRAINING = "training", _("Training")
        COMPLETED = COMPLETED, _("Completed")
        FAILED = FAILED, _("Failed")

    artist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="styles")
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    training_status = models.CharField(
        _("training status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    training_progress = models.PositiveSmallIntegerField(_("training progress"), default=0)
    failure_reason = models.TextField(_("failure reason"), blank=True)
    model_path = models.FileField(_("trained model"), upload_to="models/", blank=True)
    price_per_generation = models.PositiveIntegerField(_("price per generation (tokens)"))
    # Licence answers have no default: the artist must choose explicitly.
    commercial_use = models.BooleanField(_("commercial use allowed"))
    credit_required = models.BooleanField(_("credit required"))
    training_started_at = models.DateTimeField(null=True, blank=True)
    trained_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Set by moderation (community.moderation): unlisted and not for sale; its artist and staff still see it.
    hidden_at = models.DateTimeField(null=True, blank=True, editable=False)
    tags = models.ManyToManyField(Tag, through="StyleTag", related_name="styles", blank=True)
    # Denormalised for the catalog's popular order and the style page, never counted per request: its
    # completed generations (+1 by generations.services on completion) and the likes those images have
    # (moved with the image's own like_count by community.services), with F() in the same transaction.
    # styles.services.styles_recount sets them from the rows, for seeds that bulk-insert.
    generation_count = models.PositiveIntegerField(_("images made"), default=0, editable=False)
    like_count = models.PositiveIntegerField(_("likes"), default=0, editable=False)

    objects = StyleQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_at", "training_status"], name="style_created_status_idx"),
            # The catalog's ?sort=popular (StyleQuerySet.popular over live()), read in order up to the LIMIT.
            models.Index(
                fields=["-generation_count", "-created_at", "-id"], name="style_popular_idx",
                condition=Q(training_status=COMPLETED, deleted_at__isnull=True, hidden_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price_per_generation__gte=MIN_PRICE, price_per_generation__lte=MAX_PRICE),
                name="style_price_in_bounds",
            ),
            models.CheckConstraint(condition=models.Q(training_progress__lte=100), name="style_progress_max_100"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("styles:detail", kwargs={"slug": self.slug})

    @property
    def is_live(self) -> bool:
        return self.training_status == self.Status.COMPLETED and self.deleted_at is None and self.hidden_at is None


TRAINING_LIFECYCLE = JobLifecycle(
    model=Style, status_field="training_status", progress_field="training_progress",
    started_field="training_started_at", completed_field="trained_at",
    output_field="model_path", output_name="artifact", output_label=_("trained artefact"),
    waiting=Style.Status.PENDING, running=Style.Status.TRAINING,
    completed=Style.Status.COMPLETED, failed=Style.Status.FAILED,
    default_failure_reason=_("The training worker stopped without giving a reason."),
)


class StyleTag(models.Model):
    style = models.ForeignKey(Style, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["style", "tag"], name="styletag_unique")]


class TrainingImage(models.Model):
    style = models.ForeignKey(Style, on_delete=models.CASCADE, related_name="training_images")
    # Dimensions come from the upload validation (Pillow), which has already decoded the image.
    image = models.ImageField(upload_to="training/")
    thumbnail = models.ImageField(upload_to="training/thumbs/", blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["style", "position"]

    def __str__(self) -> str:
        return f"{self.style} #{self.position}"
