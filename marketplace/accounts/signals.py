from allauth.account.signals import user_signed_up
from django.dispatch import receiver

from marketplace.accounts.services import user_grant_welcome_bonus


@receiver(user_signed_up, dispatch_uid="atelier_welcome_bonus")
def grant_welcome_bonus(sender, request, user, **kwargs) -> None:
    # allauth sends this for email and Google sign-ups alike. Called inside
    # the sign-up's transaction, so a failed sign-up keeps no bonus; the
    # per-user idempotency key makes a second call a no-op.
    user_grant_welcome_bonus(user=user)
