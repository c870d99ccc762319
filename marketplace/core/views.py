from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from marketplace.core.health import run_checks
from marketplace.core.types import HtmxHttpRequest


@never_cache
@require_safe
def health(request: HtmxHttpRequest) -> JsonResponse:
    """Liveness: the process answers. It touches no dependency, so a database outage never makes Docker or
    Kubernetes restart every web process at once (that is /api/ready's business: stop sending traffic)."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def ready(request: HtmxHttpRequest) -> JsonResponse:
    """Readiness: 200 when the database, the cache and the broker answer, else 503 naming the failing ones."""
    states, failing = run_checks()
    if failing:
        return JsonResponse({"status": "error", "failing": failing, **states}, status=503)
    return JsonResponse({"status": "ok", **states})
