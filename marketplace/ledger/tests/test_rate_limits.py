"""The purchase limit (per buyer): a refused purchase charges nothing and credits nothing."""

import uuid

import pytest
from django.urls import reverse

from marketplace.core.testing.ratelimit import refused_fragment, refused_page, tighten
from marketplace.ledger.models import LedgerEntry, Payment

pytestmark = pytest.mark.django_db


def buy(client, **headers):
    return client.post(reverse("ledger:buy"), {"pack": "starter", "submission": str(uuid.uuid4())}, headers=headers)


def test_buying_past_the_limit_is_refused_without_a_payment(client, user, settings):
    tighten(settings, purchase="1/m")
    client.force_login(user)
    assert buy(client, **{"HX-Request": "true"}).status_code == 200
    entries = LedgerEntry.objects.count()

    assert refused_fragment(buy(client, **{"HX-Request": "true"})).startswith("Try again in")
    assert refused_page(buy(client)).startswith("Try again in")
    assert Payment.objects.count() == 1 and LedgerEntry.objects.count() == entries
