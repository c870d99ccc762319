from allauth.account.signals import email_confirmed, user_signed_up
from allauth.socialaccount.signals import social_account_added
from django.dispatch import receiver

from marketplace.accounts.services import (
    user_accept_provider_verified_emails,
    user_grant_welcome_bonus,
    user_has_verified_email,
)

# The welcome tokens wait for a verified email address, so throwaway sign-ups earn nothing. Both handlers
# may fire for one person (and email_confirmed once per address): the ledger's per-user idempotency key
# makes every call after the first a no-op.


@receiver(user_signed_up, dispatch_uid="atelier_welcome_bonus")
def grant_welcome_bonus_if_verified(sender, request, user, **kwargs) -> None:
    # A Google sign-up arrives with Google's verified address already saved as verified (allauth's
    # setup_user_email runs before this signal). Called inside the sign-up's transaction, so a failed
    # sign-up keeps no bonus.
    if user_has_verified_email(user):
        user_grant_welcome_bonus(user=user)


@receiver(email_confirmed, dispatch_uid="atelier_welcome_bonus_on_verification")
def grant_welcome_bonus_on_verification(sender, request, email_address, **kwargs) -> None:
    # The confirmation link (or the admin's "mark as verified" action) verified the address.
    user_grant_welcome_bonus(user=email_address.user)


@receiver(social_account_added, dispatch_uid="atelier_welcome_bonus_on_connect")
def accept_provider_verified_emails(sender, request, sociallogin, **kwargs) -> None:
    # A Google account connected to an existing member (at sign-in by the same address, or from the
    # connections page): Google's verified address is as good as our emailed link.
    emails = [address.email for address in sociallogin.email_addresses if address.verified]
    if emails:
        user_accept_provider_verified_emails(user=sociallogin.user, emails=emails)
