from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import trigger_client_event

from marketplace.core.htmx import render_page, wants_fragment
from marketplace.core.pagination import CursorPage, cursor_page
from marketplace.core.types import HtmxHttpRequest
from marketplace.notifications.forms import NotificationSettingsForm
from marketplace.notifications.models import Notification
from marketplace.notifications.services import (
    notification_mark_all_read,
    notification_mark_read,
    notification_settings_update,
)

PER_PAGE = 20


def _inbox_page(request: HtmxHttpRequest, cursor: str | None) -> dict:
    """A page of the inbox, newest first, by keyset on (recipient, created_at): "Older" instead of page numbers,
    no COUNT. `cursor` is where the page starts (None for the newest), kept so that a change redraws the same page."""
    # The avatar and the grouped message need only the latest actor: one join, whatever the page holds.
    page: CursorPage = cursor_page(request.user.notifications.select_related("actor"), cursor, per_page=PER_PAGE)
    return {"page": page, "cursor": cursor if cursor and not page.is_first else ""}


def _after_change(request: HtmxHttpRequest):
    """htmx gets the refreshed list and an event for the bell; a plain form post goes back to the page it came from."""
    context = _inbox_page(request, request.POST.get("cursor"))
    if request.htmx:
        response = render(request, "notifications/list.html#notification-list", context)
        return trigger_client_event(response, "notificationsChanged")
    url = reverse("notifications:list")
    return redirect(f"{url}?{urlencode({'cursor': context['cursor']})}" if context["cursor"] else url)


@login_required
@require_safe
def notification_list(request: HtmxHttpRequest):
    context = _inbox_page(request, request.GET.get("cursor"))
    return render_page(request, "notifications/list.html", context, fragment="notification-list")


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


@login_required
@require_http_methods(["GET", "POST"])
def notification_open(request: HtmxHttpRequest, pk: int):
    """Mark one of your notices read and go to what it is about (a page on this site only)."""
    try:
        notification = notification_mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404 from None
    link = notification.link
    # Links are written by our own services, but a stored value is still not trusted as a redirect target.
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()},
                                                require_https=request.is_secure()):
        return redirect(link)
    return redirect("notifications:list")


@never_cache
@require_safe
def bell(request: HtmxHttpRequest):
    """The bell alone, for its poll and notificationsChanged: one COUNT, never cached."""
    if not request.user.is_authenticated:
        if request.htmx:
            # Signed out in another tab: a redirect would swap the login page into the bell; 204 swaps nothing.
            return HttpResponse(status=204)
        return redirect_to_login(request.get_full_path())
    return render(request, "components/bell.html")


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HtmxHttpRequest):
    form = NotificationSettingsForm(request.POST or None, user=request.user)
    saved = False
    if request.method == "POST" and form.is_valid():
        notification_settings_update(user=request.user, choices=form.choices())
        if not wants_fragment(request):
            messages.success(request, _("Saved. Your notification settings are updated."))
            return redirect("notifications:settings")
        saved = True
        form = NotificationSettingsForm(user=request.user)  # the saved values, as the page will show them
    status = 422 if form.is_bound and not form.is_valid() else 200
    return render_page(
        request, "notifications/settings.html", {"form": form, "saved": saved},
        fragment="settings-form", status=status,
    )
