"""A style's generation_count and like_count: moved by the services that complete a generation or add or
remove a like, recounted from the rows for seeds and imports that bulk-insert past those services."""

from django.apps import apps
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce

from marketplace.jobs.lifecycle import COMPLETED
from marketplace.styles.models import Style


def style_counters_add(*, style_id: int | None = None, generation_id: int | None = None,
                       generations: int = 0, likes: int = 0) -> None:
    """Move a style's counters by a delta inside the caller's transaction, with F() so concurrent changes add up.

    The style is `style_id`, or the style of `generation_id` (read in the same UPDATE, no extra query).
    Callers lock the image first and the style second, always in that order.
    """
    changes = {}
    if generations:
        changes["generation_count"] = F("generation_count") + generations
    if likes:
        changes["like_count"] = F("like_count") + likes
    if not changes:
        return
    if style_id is not None:
        styles = Style.objects.filter(pk=style_id)
    else:
        image = apps.get_model("generations", "Generation").objects.filter(pk=generation_id)
        styles = Style.objects.filter(pk=Subquery(image.values("style_id")[:1]))
    styles.update(**changes)


def styles_recount(styles=None) -> int:
    """Set generation_count and like_count from the rows (one UPDATE with two subqueries) for `styles`
    (a queryset; default all); returns the number of styles updated. Both count completed images only,
    as the style page always has."""
    generation = apps.get_model("generations", "Generation")
    like = apps.get_model("community", "Like")
    made = generation.objects.filter(style=OuterRef("pk"), status=COMPLETED).order_by().values("style")
    liked = like.objects.filter(
        generation__style=OuterRef("pk"), generation__status=COMPLETED
    ).order_by().values("generation__style")

    def counted(rows):
        return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")), 0)

    rows = Style.objects.all() if styles is None else styles
    return rows.update(generation_count=counted(made), like_count=counted(liked))
