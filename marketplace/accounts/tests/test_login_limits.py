"""Wrong passwords slow down whoever types them, per client IP + account; they never lock the owner out."""

import time

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

ATTACKER = "198.51.100.7"
OWNER = "203.0.113.20"
PASSWORD = "correct-horse-battery"


@pytest.fixture
def victim(make_user):
    return make_user(email="victim@example.com")


def log_in(client: Client, password: str, email: str = "victim@example.com", **meta):
    meta.setdefault("REMOTE_ADDR", ATTACKER)
    return client.post(reverse("account_login"), {"login": email, "password": password}, **meta)


def logged_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


def refused_message(response) -> str:
    errors = response.context["form"].non_field_errors()
    return " ".join(errors)


@pytest.fixture
def later(monkeypatch):
    """Move allauth's clock (and ours) forward: the counters are timestamps compared with time.time()."""
    real = time.time
    offset = {"s": 0.0}
    monkeypatch.setattr(time, "time", lambda: real() + offset["s"])

    def advance(seconds: float) -> None:
        offset["s"] += seconds

    return advance


def test_the_limit_kicks_in_for_the_attacker_with_a_retry_time(victim):
    attacker = Client()
    for _ in range(5):
        response = log_in(attacker, "wrong-guess")
        assert response.status_code == 200
        assert "not correct" in refused_message(response)
    # Even the right password is refused from here now, with when to retry and that nothing is locked.
    response = log_in(attacker, PASSWORD)
    assert not logged_in(response)
    message = refused_message(response)
    assert "Your account is not locked" in message
    assert "try again in 5 minutes" in message
    assert "reset your password" in message


def test_the_owner_from_another_ip_is_never_refused(victim):
    attacker = Client()
    for _ in range(12):
        log_in(attacker, "wrong-guess")
    assert "not locked" in refused_message(log_in(attacker, "wrong-guess"))
    assert logged_in(log_in(Client(), PASSWORD, REMOTE_ADDR=OWNER))


def test_the_owner_on_the_same_ip_gets_in_after_the_backoff(victim, later):
    client = Client()
    for _ in range(5):
        log_in(client, "typo")
    assert not logged_in(log_in(client, PASSWORD))
    later(4 * 60)
    assert "try again in 1 minute," in refused_message(log_in(client, PASSWORD))
    later(61)
    assert logged_in(log_in(client, PASSWORD))


def test_the_backoff_grows_after_ten_failures_in_an_hour(victim, later):
    client = Client()
    for _ in range(5):
        log_in(client, "wrong-guess")
    later(5 * 60 + 1)
    for _ in range(5):
        assert "not correct" in refused_message(log_in(client, "wrong-guess"))
    later(5 * 60 + 1)
    # 10 failures within the hour: the wait is now until the first of them is an hour old.
    message = refused_message(log_in(client, PASSWORD))
    assert "try again in 50 minutes" in message


def test_a_successful_login_does_not_count_as_a_failure(victim):
    client = Client()
    for _ in range(4):
        log_in(client, "typo")
    for _ in range(3):
        assert logged_in(log_in(client, PASSWORD))
        client.logout()
    assert "not correct" in refused_message(log_in(client, "typo"))


def test_one_address_guessing_many_accounts_is_stopped(make_user, later):
    for n in range(10):
        make_user(email=f"member{n}@example.com")
    attacker = Client()
    for n in range(30):  # three guesses per account, under each account's limit, slower than 30 a minute
        assert "not correct" in refused_message(log_in(attacker, "wrong-guess", email=f"member{n % 10}@example.com"))
        later(3)
    response = log_in(attacker, PASSWORD, email="member9@example.com")
    assert "not locked" in refused_message(response)
    # Their owners, elsewhere, are unaffected.
    assert logged_in(log_in(Client(), PASSWORD, email="member9@example.com", REMOTE_ADDR=OWNER))


# --- behind nginx: the client IP comes from X-Forwarded-For ------------------------------------------------

NGINX = "10.0.0.2"


def test_behind_one_proxy_the_forwarded_client_ip_is_the_one_limited(victim, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    attacker = Client()
    for _ in range(5):
        # The attacker writes their own X-Forwarded-For; nginx appends the address it saw, the one trusted.
        log_in(attacker, "wrong-guess", REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR=f"192.0.2.99, {ATTACKER}")
    spoofed = log_in(attacker, PASSWORD, REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR=f"203.0.113.1, {ATTACKER}")
    assert "not locked" in refused_message(spoofed)
    # The owner comes through the same nginx from their own address.
    assert logged_in(log_in(Client(), PASSWORD, REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR=OWNER))


def test_without_a_trusted_proxy_the_header_is_ignored(victim, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    for _ in range(5):
        log_in(Client(), "wrong-guess", REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR=ATTACKER)
    # A spoofed header does not buy a fresh counter: the connection's address is what counts.
    response = log_in(Client(), PASSWORD, REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR=OWNER)
    assert "not locked" in refused_message(response)


# --- sign-up and password reset ----------------------------------------------------------------------------


def sign_up(client: Client, n: int, ip: str):
    data = {"email": f"farm{n}@example.com", "password1": "a-long-secret-42", "password2": "a-long-secret-42"}
    return client.post(reverse("account_signup"), data, REMOTE_ADDR=ip)


def test_signups_are_limited_per_ip():
    for n in range(5):
        assert sign_up(Client(), n, ATTACKER).status_code == 302
    assert sign_up(Client(), 5, ATTACKER).status_code == 429
    assert sign_up(Client(), 6, OWNER).status_code == 302


def test_password_reset_mails_are_limited_per_address(victim, mailoutbox):
    client = Client()
    for _ in range(3):
        response = client.post(reverse("account_reset_password"), {"email": victim.email}, REMOTE_ADDR=ATTACKER)
        assert response.status_code == 302
    response = client.post(reverse("account_reset_password"), {"email": victim.email}, REMOTE_ADDR=OWNER)
    assert response.status_code == 429
    assert len(mailoutbox) == 3
