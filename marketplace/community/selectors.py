"""Reading community state for pages: who follows whom."""

from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce

from marketplace.community.models import Follow


def with_follow_counts(people, *, viewer):
    """People with follower_count, following_count and (for a signed-in viewer) is_followed, in one query."""
    def count(**match):
        counted = Follow.objects.filter(**match).order_by().values(next(iter(match))).annotate(n=Count("pk"))
        return Coalesce(Subquery(counted.values("n")), 0)

    people = people.annotate(
        follower_count=count(following=OuterRef("pk")), following_count=count(follower=OuterRef("pk"))
    )
    if viewer.is_authenticated:
        people = people.annotate(is_followed=Exists(Follow.objects.filter(follower=viewer, following=OuterRef("pk"))))
    return people
