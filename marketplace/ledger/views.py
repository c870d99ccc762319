import csv
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Sum
from django.http import QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from marketplace.core.exceptions import ServiceError
from marketplace.core.htmx import render_page, wants_fragment
from marketplace.core.types import HtmxHttpRequest
from marketplace.ledger.charts import bar_chart_svg
from marketplace.ledger.filters import LedgerEntryFilter
from marketplace.ledger.forms import PackPurchaseForm
from marketplace.ledger.models import LedgerEntry, Payment
from marketplace.ledger.payments import TOKEN_PACKS
from marketplace.ledger.selectors import (
    ledger_daily_earnings,
    ledger_earnings,
    ledger_earnings_by_style,
    ledger_history,
)
from marketplace.ledger.services import payment_purchase_pack
from marketplace.ledger.tables import EarningsByStyleTable, LedgerHistoryTable

PAGE_SIZE = 20
CHART_DAYS = 30
CSV_COLUMNS = ("date", "kind", "amount", "balance_after", "reason", "reference")


def history_context(user, params: QueryDict) -> dict:
    filterset = LedgerEntryFilter(params, queryset=ledger_history(user))
    table = LedgerHistoryTable(filterset.qs, order_by=params.get("sort") or "-date")
    table.paginate(per_page=PAGE_SIZE)
    # get_page turns a missing, malformed or out-of-range number into the nearest real page.
    table.page = table.paginator.get_page(params.get("page"))
    return {"filter": filterset, "table": table, "params": params}


def pack_forms() -> list[tuple]:
    return [(pack, PackPurchaseForm(initial={"pack": pack.code}, auto_id=False)) for pack in TOKEN_PACKS.values()]


@login_required
@require_GET
def wallet(request: HtmxHttpRequest):
    context = history_context(request.user, request.GET)
    if not wants_fragment(request):
        context["packs"] = pack_forms()
    return render_page(request, "ledger/wallet.html", context, fragment="history")


@login_required
@require_POST
def buy(request: HtmxHttpRequest):
    payment = _purchase(request)
    if not request.htmx:
        return redirect("ledger:wallet")
    request.user.refresh_from_db(fields=["token_balance"])
    # Filters and page come from the address bar, so the refreshed history matches the URL the user sees.
    params = QueryDict(urlsplit(request.htmx.current_url_abs_path or "").query)
    context = history_context(request.user, params) | {"packs": pack_forms(), "inline_messages": True}
    response = render(request, "ledger/wallet.html#purchase-result", context)
    if payment is not None and payment.status == Payment.Status.SUCCEEDED:
        trigger_client_event(response, "tokensChanged", {"balance": request.user.token_balance})
    return response


def _purchase(request: HtmxHttpRequest) -> Payment | None:
    """Buy the posted pack, telling the user how it went through messages."""
    form = PackPurchaseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("This purchase form is incomplete. Reload the page and try again."))
        return None
    try:
        payment = payment_purchase_pack(
            user_id=request.user.pk, pack_code=form.cleaned_data["pack"],
            idempotency_key=str(form.cleaned_data["submission"]),
        )
    except ServiceError as error:
        messages.error(request, error.message)
        return None
    if payment.status == Payment.Status.SUCCEEDED:
        messages.success(request, ngettext("+%(count)s token", "+%(count)s tokens", payment.tokens) % {
            "count": payment.tokens
        })
    elif payment.status == Payment.Status.FAILED:
        messages.error(request, _("The payment did not go through, so no tokens were added."))
    else:
        messages.info(request, _("This purchase is still being processed. Your tokens will appear in a moment."))
    return payment


class _Echo:
    """A file-like object for csv.writer that hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


@login_required
@require_GET
def history_csv(request: HtmxHttpRequest):
    rows = LedgerEntryFilter(request.GET, queryset=ledger_history(request.user)).qs
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(CSV_COLUMNS)
        for entry in rows.iterator(chunk_size=500):
            yield writer.writerow([
                entry.created_at.isoformat(), entry.kind, entry.amount, entry.balance_after,
                _spreadsheet_safe(entry.reason), _spreadsheet_safe(_reference(request, entry)),
            ])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="atelier-wallet-history.csv"'
    return response


def _reference(request: HtmxHttpRequest, entry: LedgerEntry) -> str:
    if entry.payment_id:
        return entry.payment.provider_reference
    if entry.generation_id:
        return request.build_absolute_uri(entry.generation.get_absolute_url())
    return ""


def _spreadsheet_safe(text: str) -> str:
    # Reasons can carry user-chosen text (style names, staff notes); a leading = + - @ would run as a formula.
    return f"'{text}" if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


@login_required
@require_GET
def earnings(request: HtmxHttpRequest):
    earned = ledger_earnings(request.user)
    table = EarningsByStyleTable(ledger_earnings_by_style(earned), order_by=request.GET.get("sort") or "-tokens")
    context = {"table": table, "params": request.GET}
    if not wants_fragment(request):
        daily = ledger_daily_earnings(earned, days=CHART_DAYS)
        context |= {
            "total": earned.aggregate(total=Sum("amount"))["total"] or 0,
            "recent_total": sum(amount for _, amount in daily),
            "chart": bar_chart_svg(daily, label=_("Tokens earned per day, last %(days)s days") % {"days": CHART_DAYS}),
            "share_percent": settings.ARTIST_SHARE_PERCENT,
        }
    return render_page(request, "ledger/earnings.html", context, fragment="earnings-by-style")


@never_cache
@login_required
@require_GET
def balance(request: HtmxHttpRequest):
    # The nav badge re-fetches this on the tokensChanged event and swaps itself.
    return render(request, "components/token_badge.html")
