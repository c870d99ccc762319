from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling, trigger_client_event

from marketplace.core.exceptions import ServiceError
from marketplace.core.htmx import render_page, wants_fragment
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


def remix_initial(request) -> dict:
    """Prefill from ?remix=<id> (any image the user can see) or ?style=<id>."""
    source = request.GET.get("remix", "")
    if source.isdigit():
        original = Generation.objects.visible_to(request.user).filter(pk=source).first()
        if original is not None:
            return {
                "style": original.style_id, "tags": original.prompt,
                "aspect_ratio": original.aspect_ratio, "seed": original.seed,
            }
    style = request.GET.get("style", "")
    return {"style": style} if style.isdigit() else {}


@require_http_methods(["GET", "POST"])
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
    request.user.refresh_from_db(fields=["token_balance"])
    context = {
        **job_context(generation), "is_owner": True, "form": form.fresh_for(generation),
        **cost_context(request.user, generation.style, generation.aspect_ratio),
    }
    response = render(request, "generations/submitted.html", context)
    response["HX-Retarget"] = "#jobs"
    response["HX-Reswap"] = "afterbegin"
    return trigger_client_event(response, "tokensChanged")


@require_GET
def cost(request: HtmxHttpRequest):
    """The live price next to the form, always computed here from the style's price."""
    style_id = request.GET.get("style", "")
    style = Style.objects.live().filter(pk=style_id).first() if style_id.isdigit() else None
    context = cost_context(request.user, style, request.GET.get("aspect_ratio", ""))
    return render(request, "generations/generate.html#generation-cost", context)


def job_context(generation: Generation) -> dict:
    return {"generation": generation, "job": generation_status_for_owner(generation),
            "finished": GENERATION_LIFECYCLE.is_finished(generation)}


@require_GET
def detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    generation = get_object_or_404(Generation.objects.visible_to(request.user).select_related("user", "style"), pk=pk)
    is_owner = generation.user_id == request.user.pk
    context = {**job_context(generation), "is_owner": is_owner}
    # Only the owner's page polls its job card; anyone else always gets the whole page.
    response = render_page(request, "generations/detail.html", context, fragment="job-card" if is_owner else None)
    if is_owner and wants_fragment(request) and context["finished"]:
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
        return redirect("generations:detail", pk=pk)
    if request.htmx:
        response = render(request, "generations/detail.html#job-card", {**job_context(generation), "is_owner": True})
        return trigger_client_event(response, "tokensChanged")
    messages.success(request, _("Cancelled; %(n)s tokens refunded.") % {"n": generation.cost})
    return redirect(generation)


@login_required
@require_GET
def mine(request: HtmxHttpRequest):
    generations = (
        request.user.generations.filter(deleted_at__isnull=True).select_related("style").order_by("-created_at", "-id")
    )
    page_obj = Paginator(generations, GALLERY_PAGE_SIZE).get_page(request.GET.get("page"))
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
    if request.htmx:
        return render(request, "generations/mine.html#gallery-item", {"generation": generation})
    messages.success(request, _("Published to the feed.") if public else _("Withdrawn from the feed."))
    return redirect("generations:mine")


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
