import re

import pytest
from django.urls import reverse

from marketplace.core.testing import credit_tokens
from marketplace.ledger.models import LedgerEntry, Payment

CHANGELIST = reverse("admin:accounts_user_changelist")


@pytest.fixture
def entry(user):
    return credit_tokens(user, 30, "welcome:x", kind=LedgerEntry.Kind.WELCOME, reason="Welcome")


def test_ledger_entry_change_page_is_view_only(admin_client, entry):
    url = reverse("admin:ledger_ledgerentry_change", args=[entry.pk])

    page = admin_client.get(url)
    post = admin_client.post(url, {"amount": 9999, "reason": "edited", "kind": "adjustment"})

    assert page.status_code == 200
    assert "Welcome" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert post.status_code == 403
    entry.refresh_from_db()
    assert (entry.amount, entry.reason) == (30, "Welcome")


def test_ledger_entry_cannot_be_deleted_or_added(admin_client, entry):
    delete_url = reverse("admin:ledger_ledgerentry_delete", args=[entry.pk])

    assert admin_client.get(delete_url).status_code == 403
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert admin_client.get(reverse("admin:ledger_ledgerentry_add")).status_code == 403
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def test_ledger_changelist_offers_no_delete_action(admin_client, entry):
    changelist = reverse("admin:ledger_ledgerentry_changelist")

    page = admin_client.get(changelist)
    bulk = admin_client.post(changelist, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})

    assert page.status_code == 200
    assert "delete_selected" not in page.content.decode()
    assert "Are you sure" not in bulk.content.decode()
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def test_ledger_changelist_filters_by_user_from_the_user_page(admin_client, user, make_user, entry):
    other = make_user()
    credit_tokens(other, 7, "w:o", kind=LedgerEntry.Kind.WELCOME, reason="Other")
    user_page = admin_client.get(reverse("admin:accounts_user_change", args=[user.pk])).content.decode()
    link = re.search(r'href="([^"]*/admin/ledger/ledgerentry/\?[^"]*)"', user_page).group(1).replace("&amp;", "&")

    listing = admin_client.get(link).content.decode()

    assert "Welcome" in listing
    assert "Other" not in listing


def test_payment_is_read_only(admin_client, user):
    payment = Payment.objects.create(
        user=user, provider="test", pack="small", tokens=100, amount_cents=499, idempotency_key="p"
    )

    post = admin_client.post(reverse("admin:ledger_payment_change", args=[payment.pk]), {"tokens": 1_000_000})
    delete = admin_client.post(reverse("admin:ledger_payment_delete", args=[payment.pk]), {"post": "yes"})

    assert (post.status_code, delete.status_code) == (403, 403)
    payment.refresh_from_db()
    assert payment.tokens == 100


def open_adjustment_form(client, *users) -> tuple[str, str]:
    """Tick users on the changelist and choose the action; returns the page and its submission id."""
    response = client.post(
        CHANGELIST, {"action": "adjust_token_balance", "_selected_action": [u.pk for u in users]}
    )
    assert response.status_code == 200
    page = response.content.decode()
    return page, re.search(r'name="submission" value="([0-9a-f-]{36})"', page).group(1)


def apply_adjustment(client, submission: str, *users, amount: int, reason: str = "Goodwill"):
    return client.post(
        CHANGELIST,
        {
            "action": "adjust_token_balance", "_selected_action": [u.pk for u in users], "apply": "1",
            "amount": amount, "reason": reason, "submission": submission,
        },
        follow=True,
    )


def test_adjustment_form_lists_selected_users_with_balances(admin_client, user, entry):
    page, _submission = open_adjustment_form(admin_client, user)

    assert "Adjust token balance" in page
    assert user.username in page
    assert "<td>30</td>" in page
    assert 'name="amount"' in page and 'name="reason"' in page


def test_adjustment_credit_writes_an_adjustment_entry_by_staff(admin_client, admin_user, user):
    _page, submission = open_adjustment_form(admin_client, user)

    response = apply_adjustment(admin_client, submission, user, amount=50, reason="Sorry for the outage")

    entry = LedgerEntry.objects.get(user=user)
    assert (entry.kind, entry.amount, entry.balance_after) == (LedgerEntry.Kind.ADJUSTMENT, 50, 50)
    assert entry.reason == "Sorry for the outage"
    assert entry.created_by == admin_user
    user.refresh_from_db()
    assert user.token_balance == 50
    assert "Adjusted the token balance of 1 user by +50." in response.content.decode()


def test_adjustment_debit_beyond_balance_is_refused_for_that_user_only(admin_client, user, make_user, entry):
    rich = make_user(username="rich")
    credit_tokens(rich, 80, "w:rich", kind=LedgerEntry.Kind.WELCOME, reason="W")
    _page, submission = open_adjustment_form(admin_client, user, rich)

    response = apply_adjustment(admin_client, submission, user, rich, amount=-50)

    page = response.content.decode()
    assert f"Not adjusted for {user.username}:" in page
    assert "your balance is 30" in page
    assert "Adjusted the token balance of 1 user by -50." in page
    assert not LedgerEntry.objects.filter(user=user, kind=LedgerEntry.Kind.ADJUSTMENT).exists()
    user.refresh_from_db()
    rich.refresh_from_db()
    assert (user.token_balance, rich.token_balance) == (30, 30)


def test_resubmitting_the_same_adjustment_form_applies_once(admin_client, user):
    _page, submission = open_adjustment_form(admin_client, user)

    apply_adjustment(admin_client, submission, user, amount=50)
    again = apply_adjustment(admin_client, submission, user, amount=50)

    assert LedgerEntry.objects.filter(user=user, kind=LedgerEntry.Kind.ADJUSTMENT).count() == 1
    user.refresh_from_db()
    assert user.token_balance == 50
    assert "already applied to 1 user" in again.content.decode()


def test_a_new_form_gets_a_new_submission_id(admin_client, user):
    assert open_adjustment_form(admin_client, user)[1] != open_adjustment_form(admin_client, user)[1]


@pytest.mark.parametrize(("amount", "reason", "error"), [
    (0, "Oops", "Enter a non-zero number of tokens."),
    (5, "", "This field is required."),
])
def test_invalid_adjustment_shows_the_form_again_and_writes_nothing(admin_client, user, amount, reason, error):
    _page, submission = open_adjustment_form(admin_client, user)

    response = apply_adjustment(admin_client, submission, user, amount=amount, reason=reason)

    assert error in response.content.decode()
    assert f'value="{submission}"' in response.content.decode()
    assert not LedgerEntry.objects.filter(user=user).exists()


def test_token_balance_is_read_only_on_the_user_change_form(admin_client, user, entry):
    url = reverse("admin:accounts_user_change", args=[user.pk])

    page = admin_client.get(url).content.decode()
    response = admin_client.post(url, {
        "username": user.username, "email": user.email, "display_name": "Ada L.", "role": user.role,
        "is_active": "on", "date_joined_0": "2024-01-01", "date_joined_1": "12:00:00", "token_balance": 99999,
    })

    assert 'name="token_balance"' not in page
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.display_name == "Ada L."
    assert user.token_balance == 30


def test_user_changelist_shows_balances_and_offers_the_adjustment(admin_client, user, entry):
    page = admin_client.get(CHANGELIST).content.decode()

    assert "Adjust token balance…" in page
    assert "column-token_balance" in page
    assert "<td class=\"field-token_balance\">30</td>" in page
