"""The artist's studio: their styles, uploading a training set, watching it train."""

from functools import wraps

from allauth.account.adapter import get_adapter as get_account_adapter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe
from django_htmx.http import HttpResponseClientRedirect, HttpResponseStopPolling, trigger_client_event

from marketplace.accounts.forms import ArtistForm
from marketplace.accounts.services import user_become_artist
from marketplace.core.exceptions import ServiceError
from marketplace.core.htmx import render_page, wants_fragment
from marketplace.core.ratelimit import rate_limit
from marketplace.core.types import HtmxHttpRequest
from marketplace.ledger.selectors import ledger_earned_per_style
from marketplace.styles.forms import StyleEditForm, StyleUploadForm
from marketplace.styles.models import TRAINING_LIFECYCLE, Style
from marketplace.styles.services import (
    UploadRejected,
    new_artist_cap_message,
    style_create,
    style_delete,
    style_update,
    style_upload_blocker,
)


def artist_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_artist:
            messages.info(request, _("Tell buyers who you are first; then upload your training set."))
            return redirect(f"{reverse('styles:become-artist')}?next={request.path}")
        return view(request, *args, **kwargs)

    return wrapper


@login_required
@require_safe
def studio(request: HtmxHttpRequest):
    styles = request.user.styles.for_studio(earnings=ledger_earned_per_style(request.user))
    return render(request, "styles/studio.html", {"styles": styles, "cap": _upload_cap(request.user)})


def _upload_cap(user) -> dict | None:
    """What the studio says while the new-artist cap holds the next upload back."""
    blocker = style_upload_blocker(user) if user.is_artist else None
    return {"style": blocker, "message": new_artist_cap_message(blocker)} if blocker else None


def managed_style(request, pk: int) -> Style:
    """The owner's (or, for staff, anyone's) style; 403 for others, as the seed plan says."""
    style = get_object_or_404(Style.objects.select_related("artist"), pk=pk, deleted_at__isnull=True)
    if style.artist_id != request.user.pk and not request.user.is_staff:
        raise PermissionDenied
    return style


@login_required
@require_http_methods(["GET", "POST"])
def style_edit(request: HtmxHttpRequest, pk: int):
    style = managed_style(request, pk)
    form = StyleEditForm(request.POST or None, initial=StyleEditForm.initial_for(style))
    if request.method == "POST" and form.is_valid():
        try:
            style_update(style=style, by=request.user, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Saved %(name)s.") % {"name": form.cleaned_data["name"]})
            return redirect("styles:studio")
    status = 422 if request.method == "POST" else 200
    return render(request, "styles/edit.html", {"style": style, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def style_remove(request: HtmxHttpRequest, pk: int):
    style = managed_style(request, pk)
    if request.method == "POST":
        how = style_delete(style=style, by=request.user)
        if how == "soft":
            messages.success(
                request, _("%(name)s is no longer listed; images made with it stay.") % {"name": style.name}
            )
        else:
            messages.success(request, _("%(name)s and its training images are deleted.") % {"name": style.name})
        return redirect("styles:studio")
    return render(request, "styles/delete.html", {"style": style, "has_generations": style.generations.exists()})


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("profile")
def become_artist(request: HtmxHttpRequest):
    user = request.user
    initial = {"display_name": user.display_name, "bio": user.bio}
    form = ArtistForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        user_become_artist(
            user=user, display_name=form.cleaned_data["display_name"], bio=form.cleaned_data["bio"],
            avatar=form.cleaned_data["avatar"] or None, ip=get_account_adapter(request).get_client_ip(request),
        )
        messages.success(request, _("Welcome to the studio, %(name)s.") % {"name": user.public_name})
        next_url = request.GET.get("next", "")
        return redirect(next_url if next_url.startswith("/studio/") else "styles:studio")
    return render(request, "styles/become_artist.html", {"form": form})


@artist_required
@require_http_methods(["GET", "POST"])
@rate_limit("upload")
def style_new(request: HtmxHttpRequest):
    form = StyleUploadForm(request.POST or None, request.FILES or None)
    problems: list[tuple[str, str | None]] = []  # (message, the file it is about); upload.js marks that file
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            style = style_create(
                artist=request.user, name=data["name"], description=data["description"], tags=data["tags"],
                price_per_generation=data["price_per_generation"], commercial_use=data["commercial_use"],
                credit_required=data["credit_required"], files=data["images"],
            )
        except UploadRejected as exc:
            file_of = {message: name for name, message in exc.refused.items()}
            problems = [(message, file_of.get(message)) for message in exc.problems]
        except ServiceError as exc:
            problems = [(exc.message, None)]
        else:
            # Stays true while the status below moves on (no "starts soon" left over once training runs).
            count = len(data["images"])
            messages.success(request, ngettext(
                "Your training set of %(count)d image is uploaded.",
                "Your training set of %(count)d images is uploaded.", count,
            ) % {"count": count})
            url = reverse("styles:status", args=[style.pk])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    status = 422 if request.method == "POST" else 200  # base.html tells htmx to swap 422
    context = {"form": form, "problems": problems, "cap": _upload_cap(request.user)}
    return render_page(request, "styles/upload.html", context, fragment="upload-form", status=status)


@login_required
@require_safe
def style_status(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    style = get_object_or_404(Style.objects.select_related("artist"), pk=pk, deleted_at__isnull=True)
    if style.artist_id != request.user.pk and not request.user.is_staff:
        raise Http404
    context = {
        "style": style,
        "queue": TRAINING_LIFECYCLE.queue_info(style),
        "finished": TRAINING_LIFECYCLE.is_finished(style),
    }
    fragment = wants_fragment(request)
    if not fragment:  # the poll swaps only the status: the training set is read once
        context["training_images"] = list(style.training_images.order_by("pk"))
    response = render_page(request, "styles/status.html", context, fragment="training-status")
    if fragment and context["finished"]:
        # 286 stops htmx polling; the fragment still swaps in the final state.
        response.status_code = HttpResponseStopPolling.status_code
        trigger_client_event(response, "notificationsChanged")
    return response
