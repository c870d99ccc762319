"""An image's page: the picture, who made it and in whose style, likes, comments, and more in that style.

The page costs the same few queries however many comments the image has: one for the image (with its
like and comment counts, and its maker's follower count and whether you follow them), one for a page of
comments with their authors, one for "More in this style".
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from marketplace.community.models import COMMENT_MAX_LENGTH, Comment, Follow
from marketplace.community.services import comment_create, comment_delete
from marketplace.core.exceptions import NotAllowed, ServiceError
from marketplace.core.htmx import render_page, wants_fragment
from marketplace.core.pagecache import anonymous_cache_page
from marketplace.core.pagination import decode_cursor, encode_cursor
from marketplace.core.ratelimit import rate_limit
from marketplace.core.types import HtmxHttpRequest
from marketplace.generations.models import Generation
from marketplace.generations.views import job_card_response, job_context

COMMENTS_PER_PAGE = 20
MORE_IN_STYLE = 6
TEMPLATE = "community/image.html"


def _visible_comments(viewer):
    return Comment.objects.visible_to(viewer)


def _count(queryset, field: str, outer: str = "pk"):
    """How many rows of queryset point at the outer row (a subquery: joins would multiply the other counts)."""
    counted = queryset.filter(**{field: OuterRef(outer)}).order_by().values(field).annotate(n=Count("pk"))
    return Coalesce(Subquery(counted.values("n")), 0)


def _thread_count(viewer):
    """The comments this viewer sees: the counter (comments not hidden), plus the hidden ones shown to
    them (their own; all, for staff), counted only for a signed-in viewer and only among hidden rows."""
    if not viewer.is_authenticated:
        return F("comment_count")
    hidden = Comment.objects.filter(hidden_at__isnull=False)
    if not viewer.is_staff:
        hidden = hidden.filter(user=viewer)
    return F("comment_count") + _count(hidden, "generation")


def _image(request: HtmxHttpRequest, pk: int) -> Generation:
    """The image if the viewer may see it (404 otherwise), with everything the page reads, in one query."""
    viewer = request.user
    images = Generation.objects.visible_to(viewer).filter(deleted_at__isnull=True).for_cards(viewer=viewer)
    images = images.annotate(
        thread_count=_thread_count(viewer),
        maker_follower_count=_count(Follow.objects.all(), "following", outer="user_id"),
        maker_is_followed=(
            Exists(Follow.objects.filter(follower=viewer, following=OuterRef("user_id")))
            if viewer.is_authenticated else Value(False)
        ),
    )
    generation = get_object_or_404(images, pk=pk)
    maker = generation.user
    maker.follower_count, maker.is_followed = generation.maker_follower_count, generation.maker_is_followed
    return generation


def _comment_page(viewer, generation: Generation, cursor: str | None) -> dict:
    """A page of comments, oldest first, keyset on (created_at, id) after `cursor`."""
    comments = _visible_comments(viewer).filter(generation=generation).select_related("user")
    position = decode_cursor(cursor) if cursor else None
    if position:
        created_at, pk = position
        comments = comments.filter(Q(created_at__gt=created_at) | Q(created_at=created_at, pk__gt=pk))
    rows = list(comments.order_by("created_at", "id")[: COMMENTS_PER_PAGE + 1])
    more = len(rows) > COMMENTS_PER_PAGE
    rows = rows[:COMMENTS_PER_PAGE]
    return {
        "comments": rows,
        "comments_next": encode_cursor(rows[-1]) if more else None,
        "comments_later": bool(position),
    }


def _page_context(request: HtmxHttpRequest, generation: Generation, *, form_body: str = "", form_error: str = ""):
    viewer = request.user
    is_owner = generation.user_id == viewer.pk
    completed = generation.status == Generation.Status.COMPLETED
    context = {
        "generation": generation,
        "is_owner": is_owner,
        "completed": completed,
        # The owner follows an unfinished or failed job on its card; nobody else ever sees a job's state.
        "show_job_card": is_owner and not completed,
        "prompt_tags": [tag for tag in generation.prompt.split(", ") if tag],
        "share_url": request.build_absolute_uri(generation.get_absolute_url()),
        "comment_max": COMMENT_MAX_LENGTH,
        "form_body": form_body,
        "form_error": form_error,
        "more_in_style": [],
        "comments": [],
        "thread_count": generation.thread_count,
    }
    if context["show_job_card"]:
        context.update(job_context(generation))
    if completed:
        context.update(_comment_page(viewer, generation, request.GET.get("comments")))
        more = Generation.objects.public().filter(style_id=generation.style_id).exclude(pk=generation.pk)
        context["more_in_style"] = list(more.for_cards(viewer=viewer).order_by("-created_at", "-id")[:MORE_IN_STYLE])
    return context


@require_safe
@anonymous_cache_page
def image(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The image's page. htmx asks it for two fragments: the next comments (?comments=<cursor>), and, from
    the owner's job card, the card itself every 2 s until the job is over."""
    generation = _image(request, pk)
    is_owner = generation.user_id == request.user.pk
    if "comments" in request.GET and wants_fragment(request):
        if generation.status != Generation.Status.COMPLETED:
            raise Http404
        page = _comment_page(request.user, generation, request.GET["comments"])
        context = {"generation": generation, "oob": True, **page}
        return render_page(request, TEMPLATE, context, fragment="comment-page")
    if is_owner and wants_fragment(request):
        return job_card_response(request, generation)
    return render_page(request, TEMPLATE, _page_context(request, generation))


def _comment_summary_count(viewer, generation_id: int) -> int:
    counted = Generation.objects.filter(pk=generation_id).annotate(thread_count=_thread_count(viewer))
    return counted.values_list("thread_count", flat=True).get()


@login_required
@require_POST
@rate_limit("comment")
def post_comment(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Post a comment. htmx gets the new comment (appended to the list), a fresh form and the new count;
    a plain form goes back to the comment on the page. A refused comment comes back with its reason (422)."""
    body = request.POST.get("body", "")
    try:
        comment = comment_create(user=request.user, generation_id=pk, body=body)
    except Generation.DoesNotExist:
        raise Http404 from None
    except ServiceError as exc:
        if wants_fragment(request):
            context = {"generation": Generation(pk=pk), "comment_max": COMMENT_MAX_LENGTH,
                       "form_body": body, "form_error": exc.message}
            return render_page(request, TEMPLATE, context, fragment="comment-form", status=422)
        generation = _image(request, pk)
        context = _page_context(request, generation, form_body=body, form_error=exc.message)
        return render(request, TEMPLATE, context, status=422)
    if not wants_fragment(request):
        return redirect(f"{comment.generation.get_absolute_url()}#comment-{comment.pk}")
    context = {
        "generation": comment.generation, "comment": comment, "comment_max": COMMENT_MAX_LENGTH,
        "thread_count": _comment_summary_count(request.user, pk),
    }
    return render(request, "community/image.html#comment-posted", context)


@login_required
@require_POST
def delete_comment(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Delete a comment: its author or staff (anyone else gets 403). htmx removes it and updates the count."""
    comment = get_object_or_404(_visible_comments(request.user).select_related("generation"), pk=pk)
    try:
        comment_delete(user=request.user, comment_id=comment.pk)
    except Comment.DoesNotExist:
        raise Http404 from None
    except NotAllowed as exc:
        return HttpResponseForbidden(exc.message)
    generation = comment.generation
    if not wants_fragment(request):
        messages.success(request, _("Comment deleted."))
        return redirect(f"{generation.get_absolute_url()}#comments")
    context = {"generation": generation, "thread_count": _comment_summary_count(request.user, generation.pk)}
    return render(request, "community/image.html#comment-deleted", context)
