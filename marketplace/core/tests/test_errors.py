"""Our 400/403/404/500 pages, rendered by Django's default handlers with DEBUG off."""

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def forbidden(request):
    raise PermissionDenied


def unreadable(request):
    raise SuspiciousOperation("a request no one sends by accident")


def broken(request):
    raise RuntimeError("boom")


# This module doubles as the test URLconf: the site's URLs (base.html reverses
# them) plus two views that fail on purpose.
urlpatterns = [
    path("test/forbidden/", forbidden),
    path("test/broken/", broken),
    path("test/unreadable/", unreadable),
    *site_urlpatterns,
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def test_missing_page_is_our_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "<h1>Page not found</h1>" in body
    assert 'class="skip-link"' in body  # rendered inside base.html


def test_bad_request_is_our_400_with_the_nav(client, user):
    client.force_login(user)
    response = client.get("/test/unreadable/")
    assert response.status_code == 400
    body = response.content.decode()
    assert "<h1>We could not read that request</h1>" in body
    assert "nothing was changed" in body
    assert 'href="/styles/"' in body
    assert user.public_name in body  # Django renders 400.html with the request: the nav knows who it is


def test_a_spoofed_host_gets_our_400(client):
    response = client.get("/", headers={"host": "evil.example"})
    assert response.status_code == 400
    assert "<h1>We could not read that request</h1>" in response.content.decode()


def test_permission_denied_is_our_403(client, user):
    client.force_login(user)
    response = client.get("/test/forbidden/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "You can’t do that here" in body
    assert user.public_name in body  # the nav still knows who is logged in


def test_server_error_is_our_500_without_request_context(client, user):
    client.force_login(user)
    client.raise_request_exception = False
    response = client.get("/test/broken/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "<h1>Something went wrong</h1>" in body
    # Django renders 500.html with an empty context: no user, so no personal nav.
    assert user.public_name not in body
    assert "Log in" in body
