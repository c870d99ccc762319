import pytest
from django.urls import reverse

from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.services import ledger_credit, ledger_debit

pytestmark = pytest.mark.django_db


def credit(user, amount, key, reason="Token pack"):
    return ledger_credit(
        user_id=user.pk, amount=amount, kind=LedgerEntry.Kind.PURCHASE, reason=reason, idempotency_key=key
    )


def test_wallet_requires_login(client):
    response = client.get(reverse("ledger:wallet"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_wallet_lists_own_movements_with_signs_and_reasons(client, user, make_user):
    credit(user, 100, "mine-1", reason="Starter pack")
    ledger_debit(user_id=user.pk, amount=5, reason="Generation in Ink Wash", idempotency_key="mine-2")
    other = make_user()
    credit(other, 999, "theirs-1", reason="Someone else's pack")

    client.force_login(user)
    body = client.get(reverse("ledger:wallet")).content.decode()
    assert 'data-testid="wallet-balance">95<' in body
    assert body.count('data-testid="ledger-row"') == 2
    assert "Starter pack" in body and "+100" in body
    assert "Generation in Ink Wash" in body and "-5" in body
    assert "Someone else&#x27;s pack" not in body
    # Newest first.
    assert body.index("Generation in Ink Wash") < body.index("Starter pack")


def test_wallet_shows_the_latest_20_rows(client, user):
    for n in range(25):
        credit(user, 1, f"k{n}", reason=f"Grant number {n}.")
    client.force_login(user)
    body = client.get(reverse("ledger:wallet")).content.decode()
    assert body.count('data-testid="ledger-row"') == 20
    assert "Grant number 24." in body
    assert "Grant number 4." not in body


def test_wallet_empty_state(client, user):
    client.force_login(user)
    body = client.get(reverse("ledger:wallet")).content.decode()
    assert "No token movements yet." in body
    assert 'data-testid="ledger-row"' not in body


def test_balance_fragment_returns_current_number(client, user):
    client.force_login(user)
    credit(user, 40, "b1")
    response = client.get(reverse("ledger:balance"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="token-balance">40<' in body
    assert body.lstrip().startswith('<a id="token-badge"')  # a fragment, not a page
    assert "<html" not in body

    credit(user, 2, "b2")
    body = client.get(reverse("ledger:balance"), headers={"HX-Request": "true"}).content.decode()
    assert 'data-testid="token-balance">42<' in body


def test_balance_fragment_requires_login(client):
    response = client.get(reverse("ledger:balance"))
    assert response.status_code == 302
