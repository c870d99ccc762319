"""Follow state for pages outside the community app (the style page shows its artist with Follow)."""

from django import template
from django.contrib.auth import get_user_model

from marketplace.community.selectors import with_follow_counts

register = template.Library()


@register.simple_tag(takes_context=True)
def with_follow_state(context, person):
    """`person` again, with follower_count and is_followed for components/follow_button.html (one query)."""
    people = get_user_model().objects.filter(pk=person.pk)
    return with_follow_counts(people, viewer=context["request"].user).first() or person
