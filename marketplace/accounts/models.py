from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    class Role(models.TextChoices):
        USER = "user", _("User")
        ARTIST = "artist", _("Artist")

    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    avatar = models.ImageField(_("avatar"), upload_to="avatars/", blank=True)
    bio = models.TextField(_("bio"), max_length=1000, blank=True)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.USER)
    # Written only by marketplace.ledger.services, always together with a
    # LedgerEntry; the sum of a user's entries equals this value.
    token_balance = models.PositiveIntegerField(_("token balance"), default=0, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(token_balance__gte=0), name="user_token_balance_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        return self.display_name or self.username

    @property
    def is_artist(self) -> bool:
        return self.role == self.Role.ARTIST

    def get_absolute_url(self) -> str:
        return reverse("community:artist", kwargs={"username": self.username})

    @cached_property
    def welcome_bonus_pending(self) -> bool:
        """True until the welcome tokens arrive: they wait for a verified email address."""
        from marketplace.ledger.models import LedgerEntry  # ledger builds on accounts

        # One query; the welcome row also covers members who got the bonus before it waited for verification.
        done = Q(emailaddress__verified=True) | Q(ledger_entries__kind=LedgerEntry.Kind.WELCOME)
        return not User.objects.filter(done, pk=self.pk).exists()


def user_display(user: User) -> str:
    return user.public_name


class AccountEvent(models.Model):
    """A member's own step that staff may want to review later (becoming an artist, hitting the new-artist
    upload cap): who, what, when and from where. Written by accounts.services only; rows are never edited."""

    class Kind(models.TextChoices):
        BECAME_ARTIST = "became_artist", _("Became an artist")
        UPLOAD_CAPPED = "upload_capped", _("Upload refused by the new-artist cap")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_events")
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "kind"], name="account_event_user_kind_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.user}"
