"""Passwords are stored as argon2id at OWASP's parameters; a PBKDF2 hash from before still logs in and is upgraded.

The rest of the suite hashes with MD5 for speed (conftest.py); these tests put production's PASSWORD_HASHERS back.
"""

import pytest
from django.contrib.auth.hashers import identify_hasher, make_password
from django.urls import reverse

from config import settings as project_settings
from marketplace.accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
OWASP = {"variety": "argon2id", "memory_cost": 19 * 1024, "time_cost": 2, "parallelism": 1}


@pytest.fixture(autouse=True)
def production_hashers(settings):
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS


def argon2_parameters(encoded: str) -> dict:
    decoded = identify_hasher(encoded).decode(encoded)
    return {key: decoded[key] for key in OWASP}


def log_in(client, email: str, password: str = PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_a_new_account_stores_its_password_as_argon2id_at_owasp_parameters(client):
    response = client.post(
        reverse("account_signup"), {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    stored = User.objects.get(email="new@example.com").password
    assert stored.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert argon2_parameters(stored) == OWASP
    assert PASSWORD not in stored

    client.logout()
    assert log_in(client, "new@example.com").status_code == 302
    assert "_auth_user_id" in client.session


def test_a_pbkdf2_password_from_before_still_logs_in_and_is_rehashed_with_argon2id(client, make_user):
    user = make_user(email="old@example.com")
    User.objects.filter(pk=user.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))

    response = log_in(client, "old@example.com")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    user.refresh_from_db()
    assert argon2_parameters(user.password) == OWASP
    assert user.check_password(PASSWORD)


def test_a_wrong_password_against_a_pbkdf2_hash_is_refused_and_the_hash_left_alone(client, make_user):
    user = make_user(email="old@example.com")
    old_hash = make_password(PASSWORD, hasher="pbkdf2_sha256")
    User.objects.filter(pk=user.pk).update(password=old_hash)

    response = log_in(client, "old@example.com", "not-the-password")

    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    user.refresh_from_db()
    assert user.password == old_hash
