"""The artist's studio: their styles, uploading a training set, watching it train."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render
from django.views.decorators.http import require_GET

from marketplace.core.types import HtmxHttpRequest
from marketplace.generations.models import Generation


@login_required
@require_GET
def studio(request: HtmxHttpRequest):
    styles = (
        request.user.styles.filter(deleted_at__isnull=True)
        .annotate(generation_count=Count("generations", filter=Q(generations__status=Generation.Status.COMPLETED)))
        .order_by("-created_at", "-id")
    )
    return render(request, "styles/studio.html", {"styles": styles})
