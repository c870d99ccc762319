import math

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django import forms
from django.http import Http404
from django.utils.translation import ngettext

from marketplace.accounts.ratelimits import login_failed_key, login_retry_after


class AccountAdapter(DefaultAccountAdapter):
    def is_safe_url(self, url):
        # allauth parses ?next= with urlparse first, which raises on "http://[": that is no safe URL, not a 500.
        try:
            return super().is_safe_url(url)
        except ValueError:
            return False

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # allauth's one hook for the failed-login key (also used to clear it after a password reset):
        # per IP + account instead of per account, so nobody can lock an owner out from elsewhere.
        return login_failed_key(request, super()._get_login_attempts_cache_key(request, **credentials))

    def pre_authenticate(self, request, **credentials) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except forms.ValidationError as exc:
            if exc.code != "too_many_login_attempts":
                raise
            key = self._get_login_attempts_cache_key(request, **credentials)
            minutes = max(1, math.ceil(login_retry_after(request, key=key) / 60))
            raise forms.ValidationError(
                ngettext(
                    "Too many wrong passwords for this account from your network. Your account is not locked: "
                    "try again in %(minutes)s minute, log in from another network, or reset your password.",
                    "Too many wrong passwords for this account from your network. Your account is not locked: "
                    "try again in %(minutes)s minutes, log in from another network, or reset your password.",
                    minutes,
                ) % {"minutes": minutes},
                code="too_many_login_attempts",
            ) from exc


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request, provider, client_id=None):
        # Without GOOGLE_CLIENT_ID there is no Google app (and no button): its addresses are a 404, not a 500.
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise Http404 from None

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        if not user.display_name:
            user.display_name = (data.get("name") or " ".join(
                filter(None, [data.get("first_name"), data.get("last_name")])
            ))[:80]
        return user
