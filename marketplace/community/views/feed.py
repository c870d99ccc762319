from django.core.paginator import Paginator
from django.views.decorators.http import require_GET

from marketplace.core.htmx import render_page
from marketplace.core.types import HtmxHttpRequest
from marketplace.generations.models import Generation

PAGE_SIZE = 20


@require_GET
def feed(request: HtmxHttpRequest):
    images = Generation.objects.public().for_cards().order_by("-created_at", "-id")
    page_obj = Paginator(images, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(request, "community/feed.html", {"page_obj": page_obj}, fragment="feed-list")
