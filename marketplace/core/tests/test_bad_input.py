"""The server errors issue 13's fuzz found, each as a person (or a crafted link) would meet it: a clear 4xx or
an ordinary page, never a 500."""

import json

import pytest
from django.urls import reverse

from marketplace.core.testing import credit_tokens
from marketplace.ledger.models import LedgerEntry, Payment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("digit", ["²", "١", "１"])
def test_a_unicode_digit_as_remix_or_style_is_no_prefill(client, user, trained_style, digit):
    client.force_login(user)
    for query in ({"remix": digit}, {"style": digit}, {"remix": "9" * 5000}):
        response = client.get(reverse("generations:generate"), query)
        assert response.status_code == 200
        assert '<option value="" selected>Choose a style</option>' in response.content.decode()
    # A real id still prefills.
    body = client.get(reverse("generations:generate"), {"style": trained_style.pk}).content.decode()
    assert f'<option value="{trained_style.pk}" selected>' in body


def test_the_price_preview_of_a_unicode_digit_is_no_style(client, trained_style):
    response = client.get(reverse("generations:cost"), {"style": "²", "aspect_ratio": "1:1"})
    assert response.status_code == 200
    priced = client.get(reverse("generations:cost"), {"style": trained_style.pk, "aspect_ratio": "1:1"})
    assert priced.content != response.content


def test_a_posted_unicode_digit_or_huge_quote_is_a_form_error(client, user, trained_style):
    credit_tokens(user, 50)
    client.force_login(user)
    for style_value, quote in (("²", "5"), (str(trained_style.pk), "9" * 5000), (str(trained_style.pk), "٥")):
        response = client.post(reverse("generations:generate"), {
            "style": style_value, "tags": "a fox", "aspect_ratio": "1:1", "quoted_cost": quote,
        })
        assert response.status_code == 422
    user.refresh_from_db()
    assert user.token_balance == 50  # nothing was charged


def test_an_artist_address_with_a_unicode_digit_is_not_found(client, artist):
    assert client.get("/artists/%C2%B2/").status_code == 404
    assert client.get("/artists/mi%00ra/").status_code == 404
    # A numeric id still leads to the handle's address.
    response = client.get(f"/artists/{artist.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/artists/{artist.username}/"


@pytest.mark.parametrize("query", ["in\x00k", "\x00", "ink, mono\x00"])
def test_a_nul_in_the_tag_suggestions_is_no_suggestion(client, style, query):
    response = client.get(reverse("styles:tag-suggest"), {"q": query})
    assert response.status_code == 200
    assert "<option" not in response.content.decode()
    assert '<option value="ink">' in client.get(reverse("styles:tag-suggest"), {"q": "in"}).content.decode()


def test_a_nul_in_the_catalog_search_lists_nothing(client, style):
    response = client.get(reverse("styles:catalog"), {"q": "Ink\x00"})
    assert response.status_code == 200
    assert style.name not in response.content.decode()


@pytest.mark.parametrize("current_url", ["http://[", "http://[::1/wallet/?page=2", "\x00", "%"])
def test_a_malformed_current_url_after_a_purchase_keeps_the_purchase(client, user, current_url):
    client.force_login(user)
    response = client.post(
        reverse("ledger:buy"), {"pack": "starter", "submission": "6f1c2d4e-8a9b-4c3d-9e8f-0a1b2c3d4e5f"},
        headers={"HX-Request": "true", "HX-Current-URL": current_url},
    )
    assert response.status_code == 200
    assert "+100 tokens" in response.content.decode()
    assert json.loads(response["HX-Trigger"]) == {"tokensChanged": {"balance": 100}}
    assert Payment.objects.filter(user=user, status=Payment.Status.SUCCEEDED).count() == 1
    assert LedgerEntry.objects.filter(user=user).count() == 1


@pytest.mark.parametrize("name", ["google_login", "google_callback", "google_login_by_token"])
def test_sign_in_with_google_is_not_found_when_it_is_not_configured(client, settings, name):
    settings.SOCIALACCOUNT_PROVIDERS = {"google": {"APPS": []}}
    assert client.get(reverse(name)).status_code == 404
    assert client.post(reverse(name)).status_code == 404


def test_a_next_that_is_not_a_path_falls_back_to_the_page_of_the_action(client, user, make_generation, artist):
    image = make_generation(user=user)
    client.force_login(user)
    response = client.post(reverse("generations:visibility", args=[image.pk]), {"visibility": "public", "next": "0"})
    assert response.status_code == 302 and response["Location"] == reverse("generations:mine")
    response = client.post(reverse("community:follow", args=[artist.pk]), {"follow": "1", "next": "0"})
    assert response.status_code == 302 and response["Location"] == artist.get_absolute_url()


@pytest.mark.parametrize("name", ["account_login", "account_signup", "socialaccount_login_cancelled"])
def test_a_next_that_is_no_url_is_ignored_by_the_sign_in_pages(client, name):
    assert client.get(reverse(name), {"next": "http://["}).status_code == 200


def test_signing_in_with_a_next_that_is_no_url_lands_on_the_home_page(client, user):
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "correct-horse-battery", "next": "http://["}
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_malformed_current_url_while_polling_payments_is_the_settled_answer(client, user):
    client.force_login(user)
    response = client.get(reverse("ledger:payments"), headers={"HX-Request": "true", "HX-Current-URL": "http://["})
    assert response.status_code == 286  # nothing pending: polling stops, with the unfiltered history
