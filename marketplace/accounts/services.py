import secrets

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from marketplace.accounts.models import AccountEvent
from marketplace.core.images import CleanImage
from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.services import ledger_credit


def user_has_verified_email(user) -> bool:
    return EmailAddress.objects.filter(user=user, verified=True).exists()


def user_accept_provider_verified_emails(*, user, emails: list[str]) -> None:
    """Mark the user's own unverified addresses verified when a provider (Google) vouched for them, then
    grant the welcome tokens. For a Google account connected to an existing email sign-up: allauth lets
    that sign-in in by the address (EMAIL_AUTHENTICATION) but leaves the address unverified."""
    lowered = {email.lower() for email in emails}
    for address in EmailAddress.objects.filter(user=user, verified=False):
        if address.email.lower() in lowered:
            address.set_verified(commit=True)
    if user_has_verified_email(user):
        user_grant_welcome_bonus(user=user)


def user_grant_welcome_bonus(*, user) -> LedgerEntry:
    """Credit the welcome tokens. Safe to call any number of times: the
    idempotency key is per user, so the bonus lands exactly once (a second
    verified address, a repeated signal and the demo seed change nothing).
    Callers grant it only for a verified email address (accounts.signals)."""
    return ledger_credit(
        user_id=user.pk,
        amount=settings.WELCOME_BONUS_TOKENS,
        kind=LedgerEntry.Kind.WELCOME,
        reason=_("Welcome to Atelier"),
        idempotency_key=f"welcome:{user.pk}",
    )


def user_update_profile(*, user, display_name: str, bio: str, avatar: CleanImage | None = None) -> None:
    """`avatar` is an image already cleaned (accounts.forms.ProfileForm.clean_avatar); it is stored under a
    name Atelier chooses, and the one it replaces is deleted once the change is committed."""
    user.display_name = display_name
    user.bio = bio
    fields = ["display_name", "bio"]
    if avatar is None:
        user.save(update_fields=fields)
        return
    storage, old = user.avatar.storage, user.avatar.name
    user.avatar.save(f"{user.pk}-{secrets.token_hex(6)}.{avatar.extension}", ContentFile(avatar.content), save=False)
    new = user.avatar.name
    try:
        with transaction.atomic():
            user.save(update_fields=[*fields, "avatar"])
            if old:
                transaction.on_commit(lambda: storage.delete(old))
    except BaseException:
        storage.delete(new)
        raise


def account_event_record(*, user, kind: str, detail: str = "", ip: str | None = None) -> AccountEvent:
    """Append an audit row (AccountEvent); the only writer of that table."""
    return AccountEvent.objects.create(user=user, kind=kind, detail=detail[:500], ip_address=ip or None)


def user_become_artist(
    *, user, display_name: str, bio: str, avatar: CleanImage | None = None, ip: str | None = None
) -> None:
    """Any member may sell styles, at once: they need a public name; bio and avatar are optional.

    Unreviewed, so it is recorded (AccountEvent, with the client IP) and a new
    artist's uploads are capped until a first style is live (styles.services).
    Becoming an artist again records nothing new.
    """
    with transaction.atomic():
        user_update_profile(user=user, display_name=display_name, bio=bio, avatar=avatar)
        if user.is_artist:
            return
        user.role = user.Role.ARTIST
        user.save(update_fields=["role"])
        account_event_record(user=user, kind=AccountEvent.Kind.BECAME_ARTIST, detail=display_name, ip=ip)
