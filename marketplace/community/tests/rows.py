"""Likes and comments written straight into the tables, as a seed or an import would, for setting up a test
(on private, pending or hidden images the services refuse); the image's counters are recounted after each."""

from marketplace.community.models import Comment, Like
from marketplace.community.services import counters_recount
from marketplace.generations.models import Generation


def recount(generation_id: int) -> None:
    counters_recount(Generation.objects.filter(pk=generation_id))


def add_like(**fields) -> Like:
    like = Like.objects.create(**fields)
    recount(like.generation_id)
    return like


def add_comment(**fields) -> Comment:
    comment = Comment.objects.create(**fields)
    recount(comment.generation_id)
    return comment
