import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.ledger.models import LedgerEntry


class LedgerEntryFilter(django_filters.FilterSet):
    """The wallet history's filters; the CSV export applies the same ones."""

    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=LedgerEntry.Kind.choices, empty_label=_("All kinds"))
    date_from = django_filters.DateFilter(
        label=_("From"), field_name="created_at", lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        label=_("To"), field_name="created_at", lookup_expr="date__lte", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = LedgerEntry
        fields = ["kind", "date_from", "date_to"]

