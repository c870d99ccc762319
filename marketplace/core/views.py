from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from marketplace.core.health import run_checks
from marketplace.core.types import HtmxHttpRequest


@never_cache
@require_GET
def health(request: HtmxHttpRequest) -> JsonResponse:
    states, failing = run_checks()
    if failing:
        return JsonResponse({"status": "error", "failing": failing, **states}, status=503)
    return JsonResponse({"status": "ok", **states})
