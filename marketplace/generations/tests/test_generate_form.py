"""The generate form carries the price it showed, says once when it changed, and sends the short to the wallet."""

import html
import re
import uuid

import pytest
from django.urls import reverse

from marketplace.generations.models import Generation
from marketplace.ledger.models import LedgerEntry
from marketplace.styles.models import Style

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def quote_in(body: str) -> str | None:
    found = re.search(r'<input type="hidden" name="quoted_cost" value="(\d*)"', body)
    return found and found.group(1)


def post(client, style, quoted_cost, *, headers=None, **fields):
    data = {"style": style.pk, "tags": "fox", "aspect_ratio": "1:1", "seed": "", "request_key": str(uuid.uuid4()),
            "quoted_cost": quoted_cost, **fields}
    return client.post(reverse("generations:generate"), data, **(headers or {}))


def test_the_form_and_the_cost_preview_carry_the_price_they_show(client, user, trained_style, fund):
    fund(user, 30)
    client.force_login(user)
    page = client.get(reverse("generations:generate"), {"style": trained_style.pk}).content.decode()
    assert "Costs 5 tokens." in page and quote_in(page) == "5"
    fragment = client.get(reverse("generations:cost"), {"style": trained_style.pk, "aspect_ratio": "1:2"}, **HX)
    body = fragment.content.decode()
    assert "Costs 10 tokens." in body and quote_in(body) == "10" and "<html" not in body
    on_style_page = client.get(trained_style.get_absolute_url()).content.decode()
    assert quote_in(on_style_page) == "5"


def test_the_cost_preview_answers_the_latest_change_and_replaces_an_older_one(client, user, trained_style, fund):
    fund(user, 30)
    client.force_login(user)
    page = client.get(reverse("generations:generate"), {"style": trained_style.pk}).content.decode()
    cost = re.search(r'<div id="generation-cost"[^>]*>', page).group(0)
    # Only the inputs that change the price ask for it, and a newer request replaces one in flight.
    assert 'hx-sync="this:replace"' in cost
    trigger = html.unescape(re.search(r'hx-trigger="([^"]*)"', cost).group(1))
    assert trigger == "change from:closest form target:([name='aspect_ratio'], [name='style'])"


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "fragment"])
def test_a_price_raised_after_the_form_was_shown_charges_nothing_and_asks_once(
    client, user, trained_style, fund, headers
):
    fund(user, 100)
    client.force_login(user)
    shown = quote_in(client.get(reverse("generations:generate"), {"style": trained_style.pk}).content.decode())
    Style.objects.filter(pk=trained_style.pk).update(price_per_generation=16)  # the artist raises it meanwhile

    response = post(client, trained_style, shown, headers=headers)
    body = response.content.decode()
    assert response.status_code == 422
    assert body.count("The price changed from 5 to 16 tokens; confirm to continue.") == 1
    assert "Costs 16 tokens." in body and quote_in(body) == "16"
    assert not Generation.objects.exists() and not LedgerEntry.objects.filter(kind="consume").exists()

    key = re.search(r'name="request_key" value="([^"]+)"', body).group(1)
    confirmed = post(client, trained_style, quote_in(body), headers=headers, request_key=key)
    assert confirmed.status_code in (200, 302)
    assert Generation.objects.get().cost == 16
    user.refresh_from_db()
    assert user.token_balance == 84


def test_a_form_without_a_quote_asks_to_confirm_the_price(client, user, trained_style, fund):
    fund(user, 100)
    client.force_login(user)
    response = post(client, trained_style, "", headers=HX, aspect_ratio="1:2")
    body = response.content.decode()
    assert response.status_code == 422
    assert body.count("This image costs 10 tokens; confirm to continue.") == 1
    assert quote_in(body) == "10" and not Generation.objects.exists()


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "fragment"])
def test_errors_appear_once(client, user, trained_style, fund, headers):
    fund(user, 3)
    client.force_login(user)
    body = post(client, trained_style, "5", headers=headers).content.decode()
    assert body.count("This needs 5 tokens but your balance is 3.") == 1
    assert body.count('role="alert"') == 1


@pytest.mark.parametrize("balance", [0, 4])
def test_short_of_tokens_the_main_button_is_buy_tokens(client, user, trained_style, fund, balance):
    if balance:
        fund(user, balance)
    client.force_login(user)
    for body in (
        client.get(reverse("generations:generate"), {"style": trained_style.pk}).content.decode(),
        client.get(reverse("generations:cost"), {"style": trained_style.pk, "aspect_ratio": "1:1"}, **HX)
        .content.decode(),
        client.get(trained_style.get_absolute_url()).content.decode(),
    ):
        assert re.search(rf'<a role="button" href="{reverse("ledger:wallet")}"[^>]*>Buy tokens</a>', body)
        assert 'data-testid="generate-button"' not in body


def test_at_zero_the_button_is_buy_tokens_even_before_a_style_is_chosen(client, user, trained_style):
    client.force_login(user)
    body = client.get(reverse("generations:generate")).content.decode()
    assert re.search(r'<a role="button" href="[^"]*wallet[^"]*"[^>]*>Buy tokens</a>', body)
    assert 'data-testid="generate-button"' not in body


def test_with_enough_tokens_the_button_generates_and_a_larger_ratio_turns_it(client, user, trained_style, fund):
    fund(user, 12)
    client.force_login(user)
    page = client.get(reverse("generations:generate"), {"style": trained_style.pk}).content.decode()
    # The price is on the button itself (5 tokens a square image in this style).
    assert '<button type="submit" data-testid="generate-button">Generate · 5 tokens</button>' in page
    assert ">Buy tokens</a>" not in page
    large = client.get(reverse("generations:cost"), {"style": trained_style.pk, "aspect_ratio": "2:2"}, **HX)
    body = large.content.decode()
    assert ">Buy tokens</a>" in body and 'data-testid="generate-button"' not in body


def test_anonymous_visitors_are_asked_to_log_in_with_the_page_as_next(client, trained_style):
    page = client.get(reverse("generations:generate"), {"style": trained_style.pk}).content.decode()
    assert "Log in to generate" in page and "next=/generate/" in page
    fragment = client.get(reverse("generations:cost"), {"style": trained_style.pk, "aspect_ratio": "1:2"}, **HX)
    assert "Costs 10 tokens." in fragment.content.decode() and "Log in" not in fragment.content.decode()
