"""The upload limit (training sets, per artist) and the profile limit on becoming an artist (it may carry an
avatar): a refused upload stores nothing."""

import pytest
from django.urls import reverse

from marketplace.core.testing.ratelimit import refused_fragment, refused_page, tighten
from marketplace.styles.models import Style
from marketplace.styles.tests.test_studio import HX, form_data

pytestmark = pytest.mark.django_db


def test_a_second_training_set_within_the_hour_is_refused_and_not_stored(client, artist, settings):
    tighten(settings, upload="1/h")
    client.force_login(artist)
    assert client.post(reverse("styles:new"), form_data(), **HX).status_code == 200  # the client redirect

    text = refused_fragment(client.post(reverse("styles:new"), form_data(name="Second Set"), **HX))
    assert text.startswith("Try again in") and "minute" in text
    assert refused_page(client.post(reverse("styles:new"), form_data(name="Third Set"))).startswith("Try again in")
    assert list(Style.objects.values_list("name", flat=True)) == ["Tide Pools"]
    assert client.get(reverse("styles:new")).status_code == 200  # the form itself still opens


def test_becoming_an_artist_is_limited_with_profile_edits(client, user, settings):
    tighten(settings, profile="1/h")
    client.force_login(user)
    url = reverse("styles:become-artist")
    assert client.post(url, {"display_name": "Ada Paints", "bio": "Tides."}).status_code == 302
    assert refused_page(client.post(url, {"display_name": "Ada Again", "bio": "Tides."})).startswith("Try again in")
    user.refresh_from_db()
    assert user.display_name == "Ada Paints"
