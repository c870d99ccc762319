from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from marketplace.core.types import HtmxHttpRequest
from marketplace.generations.models import Generation

PAGE_SIZE = 20


@require_GET
def feed(request: HtmxHttpRequest):
    images = Generation.objects.public().for_cards().order_by("-created_at", "-id")
    page_obj = Paginator(images, PAGE_SIZE).get_page(request.GET.get("page"))
    fragment = request.htmx and not request.htmx.history_restore_request
    template = "community/feed.html#feed-list" if fragment else "community/feed.html"
    response = render(request, template, {"page_obj": page_obj})
    patch_vary_headers(response, ["HX-Request"])
    return response
