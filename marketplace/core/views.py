from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from marketplace.core.health import run_checks
from marketplace.core.types import HtmxHttpRequest
from marketplace.generations.models import Generation
from marketplace.styles.models import Style


@require_GET
def home(request: HtmxHttpRequest):
    featured = Style.objects.live().for_cards().order_by("-trained_at", "-id")[:8]
    latest = Generation.objects.public().for_cards().order_by("-created_at", "-id")[:12]
    return render(request, "core/home.html", {"featured_styles": featured, "latest_images": latest})


@never_cache
@require_GET
def health(request: HtmxHttpRequest) -> JsonResponse:
    states, failing = run_checks()
    if failing:
        return JsonResponse({"status": "error", "failing": failing, **states}, status=503)
    return JsonResponse({"status": "ok", **states})
