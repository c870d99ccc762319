import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.ledger.models import LedgerEntry


class TokenAdjustmentForm(forms.Form):
    amount = forms.IntegerField(
        label=_("Amount"), help_text=_("Tokens to add; a negative number takes tokens away.")
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=LedgerEntry._meta.get_field("reason").max_length,
        help_text=_("Shown to the user in their wallet."),
    )
    # Created on first render and posted back, so a double-submitted form
    # reuses the same idempotency keys and applies once.
    submission = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def clean_amount(self) -> int:
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError(_("Enter a non-zero number of tokens."))
        return amount


class PackPurchaseForm(forms.Form):
    """One token pack's buy button. Only the pack's code is posted: price and tokens come from TOKEN_PACKS."""

    pack = forms.CharField(widget=forms.HiddenInput, max_length=30)
    # A fresh key per rendered form: a double click or a resubmit posts the same one and is charged once.
    submission = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
