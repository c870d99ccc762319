"""The generate limit (settings.RATE_LIMITS["generate"], per user): a refused submit spends nothing and
leaves the form where it is."""

import pytest
from django.urls import reverse

from marketplace.core.testing.ratelimit import refused_fragment, refused_page, tighten
from marketplace.generations.models import Generation
from marketplace.generations.tests.test_generate_views import HX, post_generate

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(client, user, fund, settings):
    tighten(settings, generate="2/m")
    fund(user, 100)
    client.force_login(user)
    return user


def test_past_the_limit_htmx_gets_the_notice_and_nothing_is_charged(client, buyer, trained_style):
    assert [post_generate(client, trained_style, **HX).status_code for _ in range(2)] == [200, 200]
    buyer.refresh_from_db()
    balance = buyer.token_balance

    response = post_generate(client, trained_style, **HX)
    assert refused_fragment(response) in {"Try again in 1 minute.", *(f"Try again in {n} seconds." for n in range(61))}
    assert Generation.objects.count() == 2
    buyer.refresh_from_db()
    assert buyer.token_balance == balance


def test_past_the_limit_a_plain_form_gets_the_page_and_the_form_still_loads(client, buyer, trained_style):
    for _ in range(2):
        assert post_generate(client, trained_style).status_code == 302
    assert refused_page(post_generate(client, trained_style)).startswith("Try again in")
    assert Generation.objects.count() == 2
    assert client.get(reverse("generations:generate")).status_code == 200  # only submits are counted


def test_each_person_has_their_own_count(client, buyer, trained_style, make_user, fund):
    for _ in range(2):
        post_generate(client, trained_style, **HX)
    assert post_generate(client, trained_style, **HX).status_code == 429
    other = fund(make_user(), 50)
    client.force_login(other)
    assert post_generate(client, trained_style, **HX).status_code == 200
