import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.services import ledger_credit
from marketplace.styles.images import CleanImage


def user_grant_welcome_bonus(*, user) -> LedgerEntry:
    """Credit the welcome tokens. Safe to call any number of times: the
    idempotency key is per user, so the bonus lands exactly once."""
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


def user_become_artist(*, user, display_name: str, bio: str, avatar: CleanImage | None = None) -> None:
    """Any member may sell styles: they need a public name; bio and avatar are optional."""
    with transaction.atomic():
        user_update_profile(user=user, display_name=display_name, bio=bio, avatar=avatar)
        user.role = user.Role.ARTIST
        user.save(update_fields=["role"])
