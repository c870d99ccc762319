from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from marketplace.core.types import HtmxHttpRequest
from marketplace.notifications.models import Notification
from marketplace.notifications.services import notification_mark_all_read, notification_mark_read

PER_PAGE = 20


def _inbox_page(request: HtmxHttpRequest, number) -> Page:
    return Paginator(request.user.notifications.all(), PER_PAGE).get_page(number)


def _after_change(request: HtmxHttpRequest):
    """htmx gets the refreshed list and an event for the bell; a plain form post goes back to the page it came from."""
    number = request.POST.get("page")
    if request.htmx:
        response = render(request, "notifications/list.html#notification-list", {"page": _inbox_page(request, number)})
        return trigger_client_event(response, "notificationsChanged")
    url = reverse("notifications:list")
    return redirect(f"{url}?page={number}" if number and number.isdigit() else url)


@login_required
@require_GET
def notification_list(request: HtmxHttpRequest):
    return render(request, "notifications/list.html", {"page": _inbox_page(request, request.GET.get("page"))})


@login_required
@require_POST
def mark_all_read(request: HtmxHttpRequest):
    notification_mark_all_read(user=request.user)
    return _after_change(request)


@login_required
@require_POST
def mark_read(request: HtmxHttpRequest, pk: int):
    try:
        notification_mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404 from None
    return _after_change(request)


@never_cache
@login_required
@require_GET
def bell(request: HtmxHttpRequest):
    return render(request, "components/bell.html")
