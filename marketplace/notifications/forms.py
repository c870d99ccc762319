from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.notifications.models import EMAIL_KINDS, SETTABLE_KINDS, Notification, NotificationSetting


class NotificationSettingsForm(forms.Form):
    """One "in the app" box per settable kind, and a "by email" box for the kinds that can be emailed.

    The email boxes are disabled for a person without an email address: there is nowhere to send to,
    and a disabled field keeps its saved value instead of reading the (absent) posted one.
    """

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.can_email = bool(user.email)
        saved = {s.kind: s for s in NotificationSetting.objects.filter(user=user)}
        self.rows = []
        for kind in SETTABLE_KINDS:
            setting = saved.get(kind) or NotificationSetting(kind=kind)
            label = Notification.Kind(kind).label
            self.fields[f"{kind}_in_app"] = forms.BooleanField(
                label=_("in the app"), required=False, initial=setting.in_app,
            )
            if kind in EMAIL_KINDS:
                self.fields[f"{kind}_email"] = forms.BooleanField(
                    label=_("by email"), required=False, initial=setting.email, disabled=not self.can_email,
                )
            self.rows.append((kind, label))

    def kinds(self):
        """(label, in-app field, email field or None) per kind, in the order the page lists them."""
        for kind, label in self.rows:
            email = self[f"{kind}_email"] if f"{kind}_email" in self.fields else None
            yield label, self[f"{kind}_in_app"], email

    def choices(self) -> dict[str, tuple[bool, bool]]:
        """The cleaned choices, shaped for notification_settings_update."""
        return {
            kind: (self.cleaned_data[f"{kind}_in_app"], bool(self.cleaned_data.get(f"{kind}_email", False)))
            for kind, _label in self.rows
        }
