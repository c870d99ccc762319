"""Every new user gets the welcome tokens exactly once, once their email address is verified."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed, user_signed_up
from django.urls import reverse

from marketplace.accounts.models import User
from marketplace.ledger.models import LedgerEntry

GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
GOOGLE_USERINFO_URL = "https://www.googleapis.com/oauth2/v2/userinfo"


def welcome_rows(user):
    return LedgerEntry.objects.filter(user=user, kind=LedgerEntry.Kind.WELCOME)


def sign_up(client, email="new@example.com"):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": "a-long-secret-42", "password2": "a-long-secret-42"},
    )


def confirmation_link(mail) -> str:
    [link] = re.findall(r"https?://\S+/accounts/confirm-email/\S+/", mail.body)
    return urlparse(link).path


@pytest.mark.django_db
def test_email_signup_grants_the_tokens_only_after_verification(client, mailoutbox):
    assert sign_up(client).status_code == 302
    user = User.objects.get(email="new@example.com")
    assert user.token_balance == 0
    assert not welcome_rows(user).exists()

    # While unverified, the profile and the wallet say how to get them.
    for page in ("accounts:profile", "ledger:wallet"):
        body = client.get(reverse(page)).content.decode()
        assert 'data-testid="welcome-pending"' in body
        assert "Verify your email address to get your 100 free welcome tokens" in body
        assert "new@example.com" in body

    [mail] = mailoutbox
    assert mail.to == ["new@example.com"]
    response = client.post(confirmation_link(mail))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.token_balance == 100
    assert welcome_rows(user).count() == 1
    assert welcome_rows(user).get().balance_after == 100

    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="token-balance">100<' in page
    assert 'data-testid="welcome-pending"' not in client.get(reverse("accounts:profile")).content.decode()


@pytest.mark.django_db
def test_a_second_verified_address_grants_nothing_more(client, mailoutbox):
    sign_up(client)
    user = User.objects.get(email="new@example.com")
    client.post(confirmation_link(mailoutbox[0]))
    client.post(reverse("account_email"), {"action_add": "", "email": "second@example.com"})
    assert mailoutbox[-1].to == ["second@example.com"]
    client.post(confirmation_link(mailoutbox[-1]))
    assert EmailAddress.objects.filter(user=user, verified=True).count() == 2
    user.refresh_from_db()
    assert user.token_balance == 100
    assert welcome_rows(user).count() == 1


@pytest.mark.django_db
def test_signals_running_twice_grant_once(rf, make_user):
    user = make_user()
    address = EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    request = rf.get("/")
    user_signed_up.send(sender=User, request=request, user=user)
    user_signed_up.send(sender=User, request=request, user=user)
    email_confirmed.send(sender=EmailAddress, request=request, email_address=address)
    user.refresh_from_db()
    assert user.token_balance == 100
    assert welcome_rows(user).count() == 1


@pytest.mark.django_db
def test_signup_signal_without_a_verified_address_grants_nothing(rf, make_user):
    user = make_user()
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    user_signed_up.send(sender=User, request=rf.get("/"), user=user)
    user.refresh_from_db()
    assert user.token_balance == 0
    assert user.welcome_bonus_pending


@pytest.mark.django_db
def test_no_bonus_without_signup(make_user):
    user = make_user()
    assert user.token_balance == 0
    assert not welcome_rows(user).exists()


@pytest.fixture
def google_app(settings):
    settings.GOOGLE_CLIENT_ID = "test-client-id"
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {
            "SCOPE": ["profile", "email"],
            "APPS": [{"client_id": "test-client-id", "secret": "test-secret", "key": ""}],
        }
    }


def google_sign_in(client, *, sub="1098765", email="grace@example.com", verified=True):
    """Runs allauth's real OAuth2 flow; only Google's two HTTP endpoints are faked."""
    start = client.post(reverse("google_login"))
    assert start.status_code == 302
    authorize = urlparse(start["Location"])
    assert authorize.netloc == "accounts.google.com"
    state = parse_qs(authorize.query)["state"][0]
    with responses.RequestsMock() as mocked:
        mocked.post(
            GOOGLE_TOKEN_URL,
            json={"access_token": "ya29.fake", "expires_in": 3599, "token_type": "Bearer", "scope": "email profile"},
        )
        mocked.get(
            GOOGLE_USERINFO_URL,
            json={
                "id": sub,
                "email": email,
                "verified_email": verified,
                "name": "Grace Hopper",
                "given_name": "Grace",
                "family_name": "Hopper",
                "picture": "https://lh3.googleusercontent.com/a/fake",
            },
        )
        return client.get(reverse("google_callback"), {"code": "fake-code", "state": state})


@pytest.mark.django_db
def test_google_signup_grants_100_tokens_once(client, google_app):
    response = google_sign_in(client)
    assert response.status_code == 302, response.content[:500]
    user = User.objects.get(email="grace@example.com")
    assert user.socialaccount_set.get().uid == "1098765"
    assert user.display_name == "Grace Hopper"
    # Google vouches for the address: verified at once, so the tokens arrive with the sign-up.
    assert EmailAddress.objects.get(user=user).verified
    assert user.token_balance == 100
    assert welcome_rows(user).count() == 1
    assert not user.welcome_bonus_pending

    # Logging in again with Google is not a sign-up: no second bonus.
    client.post(reverse("account_logout"))
    assert google_sign_in(client).status_code == 302
    user.refresh_from_db()
    assert user.token_balance == 100
    assert welcome_rows(user).count() == 1
    assert int(client.session["_auth_user_id"]) == user.pk


@pytest.mark.django_db
def test_no_google_button_without_client_id(client, settings):
    settings.GOOGLE_CLIENT_ID = ""
    assert "Continue with Google" not in client.get(reverse("account_login")).content.decode()
    signup = client.get(reverse("account_signup")).content.decode()
    assert "Continue with Google" not in signup
    assert "With Google, they arrive at once." not in signup


@pytest.mark.django_db
def test_google_button_when_configured(client, google_app):
    assert "Continue with Google" in client.get(reverse("account_login")).content.decode()
    signup = client.get(reverse("account_signup")).content.decode()
    assert "Continue with Google" in signup
    assert "Verify your email to get 100 free tokens" in signup
    assert "With Google, they arrive at once." in signup


@pytest.mark.django_db
def test_google_sign_in_to_an_unverified_email_account_verifies_it_and_grants_once(client, google_app, mailoutbox):
    sign_up(client, email="grace@example.com")
    user = User.objects.get(email="grace@example.com")
    assert user.token_balance == 0
    client.post(reverse("account_logout"))

    # Google vouches for the same address: allauth connects the account (and, for safety, wipes the password
    # someone else may have set); the address counts as verified, so the welcome tokens arrive.
    assert google_sign_in(client).status_code == 302
    user.refresh_from_db()
    assert int(client.session["_auth_user_id"]) == user.pk
    assert EmailAddress.objects.get(user=user, email="grace@example.com").verified
    assert user.token_balance == 100
    assert welcome_rows(user).count() == 1


@pytest.mark.django_db
def test_an_address_google_has_not_verified_grants_nothing(client, google_app, mailoutbox):
    sign_up(client, email="grace@example.com")
    client.post(reverse("account_logout"))
    google_sign_in(client, verified=False)
    user = User.objects.get(email="grace@example.com")
    assert not EmailAddress.objects.get(user=user, email="grace@example.com").verified
    assert user.token_balance == 0
    assert not welcome_rows(user).exists()
