"""The profile limit (per person): profile edits, which may carry an avatar upload."""

import pytest
from django.urls import reverse

from marketplace.core.testing.ratelimit import refused_page, tighten

pytestmark = pytest.mark.django_db


def test_profile_edits_past_the_limit_are_refused_and_not_saved(client, user, settings):
    tighten(settings, profile="2/h")
    client.force_login(user)
    url = reverse("accounts:profile-edit")
    for name in ("Ada", "Ada L."):
        assert client.post(url, {"display_name": name, "bio": ""}).status_code == 302
    text = refused_page(client.post(url, {"display_name": "Ada Lovelace", "bio": ""}))
    assert text.startswith("Try again in") and "minute" in text
    user.refresh_from_db()
    assert user.display_name == "Ada L."
    assert client.get(url).status_code == 200
