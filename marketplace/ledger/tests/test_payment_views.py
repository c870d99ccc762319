"""What a person sees of issue 10: a payment being confirmed, a failed one, and exact earnings."""

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.ledger.models import LedgerEntry, Payment
from marketplace.ledger.services import ledger_credit_earning, payment_purchase_pack, payment_reconcile_pending
from marketplace.ledger.tests.providers import PATH, ProcessDied, ScriptedProvider

pytestmark = pytest.mark.django_db

KEY = "6f1c2d4e-8a9b-4c3d-9e8f-0a1b2c3d4e5f"


@pytest.fixture(autouse=True)
def provider(settings):
    settings.PAYMENT_PROVIDER = PATH
    ScriptedProvider.reset()
    yield ScriptedProvider
    ScriptedProvider.reset()


def buy(client, pack="studio", **headers):
    return client.post(reverse("ledger:buy"), {"pack": pack, "submission": KEY}, headers=headers)


def poll(client):
    return client.get(reverse("ledger:payments"), headers={
        "HX-Request": "true", "HX-Current-URL": "http://testserver/wallet/",
    })


def interrupted_purchase(user, provider) -> Payment:
    """The web process was killed right after the provider charged the card."""
    provider.die_in = "charge"
    with pytest.raises(ProcessDied):
        payment_purchase_pack(user_id=user.pk, pack_code="studio", idempotency_key=KEY)
    provider.die_in = ""
    return Payment.objects.get()


def test_an_interrupted_purchase_is_shown_being_confirmed_then_the_credit_arrives(client, user, provider):
    payment = interrupted_purchase(user, provider)
    client.force_login(user)

    body = client.get(reverse("ledger:wallet")).content.decode()
    assert "Your payment of €20.00 for 500 tokens is being confirmed." in body
    assert f'<code data-testid="payment-reference">{payment.provider_reference}</code>' in body
    assert f'hx-get="{reverse("ledger:payments")}" hx-trigger="every 2s"' in body
    assert 'data-testid="wallet-balance">0<' in body and 'data-testid="ledger-row"' not in body

    response = poll(client)  # still pending: the fragment alone, polling on
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="payments" hx-get=') and "<html" not in fragment
    assert "is being confirmed" in fragment and "HX-Trigger" not in response

    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    assert payment_reconcile_pending() == 1

    response = poll(client)  # settled: polling stops, the balance and the credit's row come along
    assert response.status_code == 286
    assert json.loads(response["HX-Trigger"]) == {"tokensChanged": {"balance": 500}}
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="payments">') and "being confirmed" not in fragment
    assert '<p id="balance-figure" hx-swap-oob="true">' in fragment and 'data-testid="wallet-balance">500<' in fragment
    assert '<section id="history" aria-labelledby="history-heading" hx-swap-oob="true">' in fragment
    assert f"Payment <code>{payment.provider_reference}</code>" in fragment and "+500" in fragment

    body = client.get(reverse("ledger:wallet")).content.decode()
    assert "being confirmed" not in body and 'hx-trigger="every 2s"' not in body
    assert body.count('data-testid="ledger-row"') == 1


def test_a_failed_charge_says_so_clearly_and_adds_nothing(client, user, provider):
    provider.answer, provider.failure_message = "failed", "Your card was declined."
    client.force_login(user)
    body = client.post(reverse("ledger:buy"), {"pack": "studio", "submission": KEY}, follow=True).content.decode()
    assert "The payment did not go through, so no tokens were added. Your card was declined." in body
    assert "Your payment of €20.00 for 500 tokens did not go through, so no tokens were added." in body
    assert 'data-status="failed" role="alert"' in body
    assert 'data-testid="wallet-balance">0<' in body and not LedgerEntry.objects.exists()
    assert 'hx-trigger="every 2s"' not in body


def test_a_failed_htmx_purchase_does_not_announce_a_change(client, user, provider):
    provider.answer, provider.failure_message = "failed", "Your card was declined."
    client.force_login(user)
    response = buy(client, **{"HX-Request": "true"})
    assert "HX-Trigger" not in response
    body = response.content.decode()
    assert '<p class="message message-error" role="alert">The payment did not go through' in body


def test_a_purchase_without_an_answer_yet_polls_and_announces_nothing(client, user, provider):
    provider.unreachable_on_charge = True
    client.force_login(user)
    response = buy(client, **{"HX-Request": "true"})
    assert "HX-Trigger" not in response
    body = response.content.decode()
    assert "Your payment is being confirmed." in body
    assert 'hx-trigger="every 2s"' in body and "is being confirmed." in body


def test_the_payments_poll_is_for_htmx_and_signed_in_users(client, user):
    assert client.get(reverse("ledger:payments")).status_code == 302  # to the login page
    client.force_login(user)
    response = client.get(reverse("ledger:payments"))
    assert (response.status_code, response["Location"]) == (302, reverse("ledger:wallet"))


def test_another_users_payments_are_never_shown(client, user, make_user, provider):
    interrupted_purchase(make_user(), provider)
    client.force_login(user)
    body = client.get(reverse("ledger:wallet")).content.decode()
    assert "being confirmed" not in body and 'data-testid="payment"' not in body


# --- Exact earnings on the earnings page -------------------------------------------------------------------------


def test_earnings_page_shows_the_pending_remainder(client, artist, make_generation, settings):
    settings.ARTIST_SHARE_PERCENT = 70
    for _ in range(4):
        ledger_credit_earning(generation=make_generation(cost=1, status="completed"))  # 2.80 tokens
    client.force_login(artist)
    body = client.get(reverse("ledger:earnings")).content.decode()
    assert 'data-testid="earnings-total">2<' in body
    assert "<strong>0.80</strong> token pending toward your next token." in body


def test_a_first_sale_below_one_token_is_shown_as_pending(client, artist, make_generation, settings):
    settings.ARTIST_SHARE_PERCENT = 70
    ledger_credit_earning(generation=make_generation(cost=1, status="completed"))
    client.force_login(artist)
    body = client.get(reverse("ledger:earnings")).content.decode()
    assert "No earnings yet." not in body
    assert "<strong>0.70</strong> token pending toward your next token." in body


def test_earnings_by_style_count_each_styles_exact_share(client, artist, make_style, make_generation, settings):
    """A token completed by a Dusk sale was made of Ink's 0.70 and Dusk's 0.70: each style is shown its own share."""
    settings.ARTIST_SHARE_PERCENT = 70
    ink, dusk = make_style(name="Ink"), make_style(name="Dusk")
    assert ledger_credit_earning(generation=make_generation(style=ink, cost=1, status="completed")) is None
    entry = ledger_credit_earning(generation=make_generation(style=dusk, cost=1, status="completed"))
    assert entry.amount == 1 and entry.generation.style == dusk
    client.force_login(artist)
    body = client.get(reverse("ledger:earnings") + "?sort=style_name").content.decode()
    rows = re.findall(
        r'data-testid="earnings-row".*?>([^<]+)</a></td>'
        r'<td class="numeric">(\d+)</td><td class="numeric">([\d.]+)</td>',
        body, flags=re.S,
    )
    assert rows == [("Dusk", "1", "0.70"), ("Ink", "1", "0.70")]
    assert 'data-testid="earnings-total">1<' in body and "<strong>0.40</strong> token pending" in body
