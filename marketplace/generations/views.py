from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseStopPolling, trigger_client_event

from marketplace.core.exceptions import ServiceError
from marketplace.core.htmx import render_page
from marketplace.core.pagination import cursor_page
from marketplace.core.params import parse_id
from marketplace.core.ratelimit import rate_limit
from marketplace.core.types import HtmxHttpRequest
from marketplace.generations.forms import GenerateForm, cost_context, form_context
from marketplace.generations.models import GENERATION_LIFECYCLE, Generation
from marketplace.generations.services import (
    generation_cancel,
    generation_delete,
    generation_set_visibility,
    generation_submit,
)
from marketplace.generations.status import generation_status_for_owner
from marketplace.styles.models import Style

GALLERY_PAGE_SIZE = 24
JOB_CARD = "generations/_job_card.html"


def remix_initial(request) -> dict:
    """Prefill from ?remix=<id> (any image the user can see) or ?style=<id>."""
    source = parse_id(request.GET.get("remix"))
    if source is not None:
        original = Generation.objects.visible_to(request.user).filter(pk=source).first()
        if original is not None:
            return {
                "style": original.style_id, "tags": original.prompt,
                "aspect_ratio": original.aspect_ratio, "seed": original.seed,
            }
    style = parse_id(request.GET.get("style"))
    return {"style": style} if style else {}


@require_http_methods(["GET", "POST"])
@rate_limit("generate")
def generate(request: HtmxHttpRequest):
    if request.method == "POST" and not request.user.is_authenticated:
        return redirect_to_login(reverse("generations:generate"))
    fixed_style = request.POST.get("fixed_style") == "1"  # posted from a style's page
    form = GenerateForm(request.POST or None, initial=remix_initial(request), fixed_style=fixed_style)
    if request.method == "POST" and form.is_valid():
        try:
            generation = generation_submit(user=request.user, **form.submission())
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            return _submitted(request, generation, form) if request.htmx else redirect(generation)
    # 422 carries the form with its errors; base.html tells htmx to swap it.
    status = 422 if request.method == "POST" else 200
    context = form_context(request.user, form)
    return render_page(request, "generations/generate.html", context, fragment="generate-form", status=status)


def _submitted(request: HtmxHttpRequest, generation: Generation, form: GenerateForm):
    """The new job card goes on top of #jobs; a fresh form (a new request key) replaces the used one."""
    context = {  # generation_submit left request.user's balance at its new value
        **job_context(generation), "form": form.fresh_for(generation),
        **cost_context(request.user, generation.style, generation.aspect_ratio),
    }
    response = render(request, "generations/submitted.html", context)
    response["HX-Retarget"] = "#jobs"
    response["HX-Reswap"] = "afterbegin"
    return trigger_client_event(response, "tokensChanged")


@require_safe
def cost(request: HtmxHttpRequest):
    """The live price next to the form, always computed here from the style's price."""
    style_id = parse_id(request.GET.get("style"))
    style = Style.objects.live().filter(pk=style_id).first() if style_id else None
    context = cost_context(request.user, style, request.GET.get("aspect_ratio", ""))
    return render(request, "generations/generate.html#generation-cost", context)


def job_context(generation: Generation) -> dict:
    return {"generation": generation, "job": generation_status_for_owner(generation),
            "finished": GENERATION_LIFECYCLE.is_finished(generation)}


def job_card_response(request: HtmxHttpRequest, generation: Generation) -> HttpResponse:
    """The owner's job card as its own fragment (polled every 2 s from the image's page and the generate page).

    Once the job is over the answer is 286, which stops htmx polling, and the token badge and the bell
    are told to refresh (a failed job was refunded; a finished one brought a notice).
    """
    context = job_context(generation)
    response = render(request, JOB_CARD, context)
    if context["finished"]:
        response.status_code = HttpResponseStopPolling.status_code  # 286: htmx stops polling
        trigger_client_event(response, "tokensChanged")
        trigger_client_event(response, "notificationsChanged")
    return response


@login_required
@require_POST
def cancel(request: HtmxHttpRequest, pk: int):
    try:
        generation = generation_cancel(user=request.user, generation_id=pk)
    except Generation.DoesNotExist:
        raise Http404 from None
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(Generation(pk=pk))
    if request.htmx:
        response = render(request, JOB_CARD, job_context(generation))
        return trigger_client_event(response, "tokensChanged")
    messages.success(request, _("Cancelled; %(n)s tokens refunded.") % {"n": generation.cost})
    return redirect(generation)


@login_required
@require_safe
def mine(request: HtmxHttpRequest):
    """Your images, newest first, by keyset on (user, created_at): "load more" instead of numbered pages."""
    generations = request.user.generations.filter(deleted_at__isnull=True).select_related("style")
    page_obj = cursor_page(generations, request.GET.get("cursor"), per_page=GALLERY_PAGE_SIZE)
    return render(request, "generations/mine.html", {"page_obj": page_obj})


@login_required
@require_POST
def visibility(request: HtmxHttpRequest, pk: int):
    public = request.POST.get("visibility") == Generation.Visibility.PUBLIC
    try:
        generation = generation_set_visibility(user=request.user, generation_id=pk, public=public)
    except Generation.DoesNotExist:
        raise Http404 from None
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("generations:mine")
    if request.htmx and request.POST.get("card") == "job":
        return render(request, JOB_CARD, job_context(generation))
    if request.htmx:
        return render(request, "generations/mine.html#gallery-item", {"generation": generation})
    messages.success(request, _("Published to the feed.") if public else _("Withdrawn from the feed."))
    return redirect(_safe_next(request) or "generations:mine")


def _safe_next(request: HtmxHttpRequest) -> str:
    """The page a plain form came from (the image's page), if it is on this site."""
    target = request.POST.get("next", "")
    ok = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    # Only a path: redirect() would take "0" for a view name and fail to reverse it.
    return target if ok and target.startswith("/") else ""


@login_required
@require_POST
def delete(request: HtmxHttpRequest, pk: int):
    try:
        generation_delete(user=request.user, generation_id=pk)
    except Generation.DoesNotExist:
        raise Http404 from None
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("generations:mine")
    if request.htmx:
        return HttpResponse("")  # the gallery item swaps itself out
    messages.success(request, _("Image deleted."))
    return redirect("generations:mine")
