from decimal import Decimal

import django_tables2 as tables
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.reasons import ledger_reason_text

NUMERIC = {"th": {"class": "numeric"}, "td": {"class": "numeric"}}


def render_when(value) -> str:
    return format_html(
        '<time datetime="{}">{}</time>', value.isoformat(), date_format(localtime(value), "DATETIME_FORMAT")
    )


class LedgerHistoryTable(tables.Table):
    """A user's token movements. Rows come from selectors.ledger_history (payment, generation, generation_visible)."""

    # Rows come newest first, a keyset page at a time (views.history_context): the columns do not sort.
    date = tables.Column(gettext_lazy("Date"), accessor="created_at")
    kind = tables.Column(gettext_lazy("Kind"))
    reason = tables.Column(gettext_lazy("Reason"), empty_values=())
    amount = tables.Column(gettext_lazy("Amount"), attrs=NUMERIC)
    balance_after = tables.Column(gettext_lazy("Balance after"), attrs=NUMERIC)

    class Meta:
        orderable = False
        attrs = {"class": "striped"}
        row_attrs = {"data-testid": "ledger-row", "data-kind": lambda record: record.kind}

    def render_date(self, value) -> str:
        return render_when(value)

    def render_amount(self, value: int) -> str:
        return format_html('<span class="{}">{}</span>', "credit" if value > 0 else "debit", f"{value:+d}")

    def render_reason(self, record: LedgerEntry) -> str:
        return format_html("{}<br><small class=\"muted\">{}</small>", ledger_reason_text(record), ledger_source(record))


def tokens_from_hundredths(hundredths: int) -> str:
    """21 for 2100, 0.70 for 70: whole tokens without decimals, fractions to the hundredth."""
    return floatformat(Decimal(hundredths) / 100, -2)


def ledger_source(entry: LedgerEntry) -> str:
    """What caused a movement, as a link where the user may follow it."""
    if entry.payment_id:
        return format_html(_("Payment {}"), format_html("<code>{}</code>", entry.payment.provider_reference))
    if entry.generation_id:
        label = _("Generation #%(id)s") % {"id": entry.generation_id}
        if entry.generation_visible:
            return format_html('<a href="{}">{}</a>', entry.generation.get_absolute_url(), label)
        # An earning from a buyer's private image: the artist may not open it.
        return format_html("{} ({})", label, _("private"))
    if entry.kind == LedgerEntry.Kind.ADJUSTMENT:
        return _("By Atelier staff")
    return "–"


class EarningsByStyleTable(tables.Table):
    """Rows from selectors.ledger_earnings_by_style: dicts of style_name, style_slug, generations, hundredths."""

    style_name = tables.Column(gettext_lazy("Style"))
    generations = tables.Column(gettext_lazy("Generations"), attrs=NUMERIC)
    # Exact shares: a style's fractions count for it even when another style's sale completed the token.
    tokens = tables.Column(gettext_lazy("Tokens earned"), accessor="hundredths", attrs=NUMERIC)

    class Meta:
        attrs = {"class": "striped"}
        row_attrs = {"data-testid": "earnings-row"}

    def render_tokens(self, value: int) -> str:
        return tokens_from_hundredths(value)

    def render_style_name(self, value: str, record: dict) -> str:
        url = reverse("styles:detail", kwargs={"slug": record["style_slug"]})
        return format_html('<a href="{}">{}</a>', url, value)
