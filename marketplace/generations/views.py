from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling, trigger_client_event

from marketplace.core.exceptions import ServiceError
from marketplace.core.types import HtmxHttpRequest
from marketplace.generations.forms import GenerateForm
from marketplace.generations.models import GENERATION_LIFECYCLE, Generation
from marketplace.generations.pricing import generation_cost
from marketplace.generations.services import (
    generation_cancel,
    generation_delete,
    generation_set_visibility,
    generation_submit,
)
from marketplace.generations.status import generation_status_for_owner
from marketplace.ledger.exceptions import InsufficientTokens
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


def generate_context(user, style: Style) -> dict:
    """What the generate form needs when it is embedded in a style's page."""
    form = GenerateForm(initial={"style": style.pk}, fixed_style=True)
    return {"form": form, **cost_context(user, style, form["aspect_ratio"].value())}


def cost_context(user, style: Style | None, aspect_ratio: str) -> dict:
    cost = None
    if style is not None and aspect_ratio in dict(Generation.AspectRatio.choices):
        cost = generation_cost(price_per_generation=style.price_per_generation, aspect_ratio=aspect_ratio)
    balance = user.token_balance if user.is_authenticated else None
    return {"cost": cost, "balance": balance, "short": cost is not None and balance is not None and cost > balance}


@require_http_methods(["GET", "POST"])
def generate(request: HtmxHttpRequest):
    if request.method == "POST" and not request.user.is_authenticated:
        return redirect(f"{reverse('account_login')}?next={reverse('generations:generate')}")
    fixed_style = request.POST.get("fixed_style") == "1"  # posted from a style's page
    form = GenerateForm(request.POST or None, initial=remix_initial(request), fixed_style=fixed_style)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            generation = generation_submit(
                user=request.user, style_id=data["style"].pk, prompt_tags=data["tags"],
                aspect_ratio=data["aspect_ratio"], seed=data["seed"], request_key=data["request_key"],
            )
        except InsufficientTokens as exc:
            form.add_error(None, exc.message)
            form.insufficient = True
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            if request.htmx:
                request.user.refresh_from_db(fields=["token_balance"])
                fresh = GenerateForm(initial={
                    "style": generation.style_id, "tags": ", ".join(data["tags"]), "aspect_ratio": generation.aspect_ratio,
                }, fixed_style=fixed_style)
                context = {**job_context(generation), "is_owner": True, "form": fresh,
                           **cost_context(request.user, generation.style, generation.aspect_ratio)}
                response = render(request, "generations/submitted.html", context)
                response["HX-Retarget"] = "#jobs"
                response["HX-Reswap"] = "afterbegin"
                return trigger_client_event(response, "tokensChanged")
            return redirect(generation)
    if request.user.is_authenticated:
        request.user.refresh_from_db(fields=["token_balance"])
    style = form["style"].value()
    selected = Style.objects.live().filter(pk=style).first() if str(style or "").isdigit() else None
    context = {"form": form, **cost_context(request.user, selected, form["aspect_ratio"].value())}
    template = "generations/generate.html#generate-form" if request.htmx else "generations/generate.html"
    # 422 carries the form with its errors; base.html tells htmx to swap it.
    return render(request, template, context, status=422 if request.method == "POST" else 200)


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
    if request.htmx and not request.htmx.history_restore_request and is_owner:
        response = render(request, "generations/detail.html#job-card", context)
        if context["finished"]:
            response.status_code = HttpResponseStopPolling.status_code  # 286: htmx stops polling
            trigger_client_event(response, "tokensChanged")
            trigger_client_event(response, "notificationsChanged")
        return response
    return render(request, "generations/detail.html", context)


@login_required
@require_POST
def cancel(request: HtmxHttpRequest, pk: int):
    try:
        generation = generation_cancel(user=request.user, generation_id=pk)
    except Generation.DoesNotExist:
        return HttpResponse(status=404)
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
        return HttpResponse(status=404)
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
        return HttpResponse(status=404)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("generations:mine")
    if request.htmx:
        return HttpResponse("")  # the gallery item swaps itself out
    messages.success(request, _("Image deleted."))
    return redirect("generations:mine")
