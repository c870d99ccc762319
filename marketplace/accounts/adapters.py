from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.http import Http404


class AccountAdapter(DefaultAccountAdapter):
    def is_safe_url(self, url):
        # allauth parses ?next= with urlparse first, which raises on "http://[": that is no safe URL, not a 500.
        try:
            return super().is_safe_url(url)
        except ValueError:
            return False


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
