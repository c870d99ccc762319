import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from marketplace.core.images import megabytes
from marketplace.core.testing import credit_tokens, imagefiles

pytestmark = pytest.mark.django_db


@pytest.fixture
def avatar():
    return imagefiles.png_upload("avatar.png", size=(32, 32))


# --- profile -----------------------------------------------------------------


def test_profile_requires_login(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_profile_shows_balance_and_details(client, user):
    credit_tokens(user, 130, "p1", reason="Pack")
    client.force_login(user)
    body = client.get(reverse("accounts:profile")).content.decode()
    assert 'data-testid="profile-balance">130<' in body
    assert user.email in body
    assert "Ada" in body
    assert reverse("ledger:wallet") in body
    assert reverse("accounts:profile-edit") in body


def test_profile_edit_updates_fields_and_avatar(client, user, avatar):
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile-edit"),
        {"display_name": "Ada L.", "bio": "I draw foxes.", "avatar": avatar},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    user.refresh_from_db()
    assert user.display_name == "Ada L."
    assert user.bio == "I draw foxes."
    assert user.avatar.name.startswith("avatars/")

    page = client.get(response["Location"]).content.decode()
    assert "Your profile has been updated." in page
    assert user.avatar.url in page


def test_profile_edit_without_new_avatar_keeps_the_old_one(client, user, avatar):
    client.force_login(user)
    client.post(reverse("accounts:profile-edit"), {"display_name": "Ada", "bio": "", "avatar": avatar})
    user.refresh_from_db()
    first = user.avatar.name
    client.post(reverse("accounts:profile-edit"), {"display_name": "Ada Lovelace", "bio": "Hello"})
    user.refresh_from_db()
    assert user.avatar.name == first
    assert user.display_name == "Ada Lovelace"


def test_profile_edit_rejects_a_non_image_avatar(client, user):
    client.force_login(user)
    fake = SimpleUploadedFile("avatar.png", b"this is not a picture", content_type="image/png")
    response = client.post(reverse("accounts:profile-edit"), {"display_name": "Hacker", "bio": "", "avatar": fake})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Your profile was not saved." in body
    assert "avatar.png is not an image Atelier can read." in body
    assert 'aria-invalid="true"' in body
    user.refresh_from_db()
    assert user.display_name == "Ada"
    assert not user.avatar


def test_profile_edit_rejects_an_oversized_avatar(client, user):
    data = imagefiles.noise_png((1500, 1400))
    big = SimpleUploadedFile("me.png", data, content_type="image/png")
    client.force_login(user)
    response = client.post(reverse("accounts:profile-edit"), {"display_name": "Ada", "bio": "", "avatar": big})
    assert response.status_code == 200
    assert f"This image is {megabytes(len(data))}; the limit is 5 MB." in response.content.decode()
    user.refresh_from_db()
    assert not user.avatar


def test_profile_edit_form_is_prefilled(client, user):
    client.force_login(user)
    body = client.get(reverse("accounts:profile-edit")).content.decode()
    assert 'value="Ada"' in body
    assert 'enctype="multipart/form-data"' in body


# --- allauth pages in our layout ---------------------------------------------


def test_login_page_uses_site_layout_without_google(client, settings):
    settings.GOOGLE_CLIENT_ID = ""
    body = client.get(reverse("account_login")).content.decode()
    assert 'class="skip-link"' in body
    assert 'name="login"' in body and 'name="password"' in body
    assert reverse("account_reset_password") in body
    assert "google" not in body.lower()


def test_signup_page_promises_the_welcome_tokens(client):
    body = client.get(reverse("account_signup")).content.decode()
    assert f"Verify your email to get {settings.WELCOME_BONUS_TOKENS} free tokens" in body
    assert 'name="password2"' in body


def test_google_button_is_a_post_form(client, settings):
    settings.GOOGLE_CLIENT_ID = "test-client-id"
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {"APPS": [{"client_id": "test-client-id", "secret": "test-secret", "key": ""}]}
    }
    for page in ("account_login", "account_signup"):
        body = client.get(reverse(page)).content.decode()
        assert f'<form method="post" action="{reverse("google_login")}">' in body


def test_login_error_is_shown_on_the_form(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": "wrong-password"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'role="alert"' in body
    assert "not correct" in body


def test_password_reset_page_renders_with_pico_elements(client):
    body = client.get(reverse("account_reset_password")).content.decode()
    assert 'class="allauth-form"' in body
    assert 'class="skip-link"' in body
