from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from marketplace.core.types import HtmxHttpRequest
from marketplace.generations.models import Generation


@require_GET
def detail(request: HtmxHttpRequest, pk: int):
    generation = get_object_or_404(Generation.objects.visible_to(request.user).select_related("user", "style"), pk=pk)
    return render(request, "generations/detail.html", {"generation": generation})
