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
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseStopPolling, trigger_client_event

from marketplace.core.exceptions import ServiceError
from marketplace.core.htmx import render_page, wants_fragment
from marketplace.core.pagination import cursor_page
from marketplace.core.ratelimit import rate_limit
from marketplace.core.types import HtmxHttpRequest
from marketplace.ledger.charts import bar_chart_svg, daily_summary
from marketplace.ledger.filters import LedgerEntryFilter
from marketplace.ledger.forms import PackPurchaseForm
from marketplace.ledger.models import LedgerEntry, Payment
from marketplace.ledger.payments import TOKEN_PACKS
from marketplace.ledger.reasons import ledger_reason_text
from marketplace.ledger.selectors import (
    ledger_daily_earnings,
    ledger_earning_pending,
    ledger_earnings,
    ledger_earnings_by_style,
    ledger_history,
    ledger_payments_to_show,
)
from marketplace.ledger.services import payment_purchase_pack
from marketplace.ledger.tables import EarningsByStyleTable, LedgerHistoryTable, tokens_from_hundredths

PAGE_SIZE = 20
CHART_DAYS = 30
CSV_COLUMNS = ("date", "kind", "amount", "balance_after", "reason", "reference")


def history_context(user, params: QueryDict) -> dict:
    """The filtered history, newest first, a page at a time by keyset on (user, created_at): "Older" instead of
    numbered pages and no COUNT, so a long history costs what a short one does. A keyset cannot page an order
    by amount or kind, so the table is not sortable; the CSV has every row for a spreadsheet's sorting."""
    params = params.copy()
    for stale in ("sort", "page"):  # from links of the numbered, sortable table: they would only be carried along
        params.pop(stale, None)
    filterset = LedgerEntryFilter(params, queryset=ledger_history(user))
    page = cursor_page(filterset.qs, params.get("cursor"), per_page=PAGE_SIZE)
    return {"filter": filterset, "table": LedgerHistoryTable(page.object_list), "page": page, "params": params}


def pack_forms() -> list[tuple]:
    return [(pack, PackPurchaseForm(initial={"pack": pack.code}, auto_id=False)) for pack in TOKEN_PACKS.values()]


def payments_context(user) -> dict:
    payments = list(ledger_payments_to_show(user))
    return {"payments": payments, "payments_pending": any(p.status == Payment.Status.PENDING for p in payments)}


def _address_bar_params(request: HtmxHttpRequest) -> QueryDict:
    # Filters and cursor come from the address bar, so a refreshed history matches the URL the user sees.
    # The header is the client's word, read after a purchase may have been credited: one that is not a URL
    # ("http://[") gives the unfiltered history, never an error over a purchase that went through.
    try:
        return QueryDict(urlsplit(request.htmx.current_url_abs_path or "").query)
    except ValueError:
        return QueryDict()


@login_required
@require_safe
def wallet(request: HtmxHttpRequest):
    context = history_context(request.user, request.GET)
    if not wants_fragment(request):
        context |= {"packs": pack_forms()} | payments_context(request.user)
    return render_page(request, "ledger/wallet.html", context, fragment="history")


@never_cache
@login_required
@require_safe
def payments(request: HtmxHttpRequest):
    """The wallet polls this while a payment is being confirmed; the answer that finds none pending stops it."""
    if not request.htmx:
        return redirect("ledger:wallet")
    context = payments_context(request.user)
    if context["payments_pending"]:
        return render(request, "ledger/wallet.html#payments", context)
    # Settled since the page was drawn: bring the new balance and the credit's row along.
    context |= history_context(request.user, _address_bar_params(request))
    response = render(request, "ledger/wallet.html#payments-settled", context)
    response.status_code = HttpResponseStopPolling.status_code
    trigger_client_event(response, "tokensChanged", {"balance": request.user.token_balance})
    return response


@login_required
@require_POST
@rate_limit("purchase")
def buy(request: HtmxHttpRequest):
    payment = _purchase(request)
    if not request.htmx:
        return redirect("ledger:wallet")
    request.user.refresh_from_db(fields=["token_balance"])
    context = history_context(request.user, _address_bar_params(request)) | {
        "packs": pack_forms(), "inline_messages": True,
    } | payments_context(request.user)
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
    elif payment.status == Payment.Status.PENDING:
        messages.info(request, _("Your payment is being confirmed. The tokens will appear here as soon as it is."))
    else:
        messages.error(request, " ".join(filter(None, [
            _("The payment did not go through, so no tokens were added."), payment.failure_message,
        ])))
    return payment


class _Echo:
    """A file-like object for csv.writer that hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


@login_required
@require_safe
def history_csv(request: HtmxHttpRequest):
    rows = LedgerEntryFilter(request.GET, queryset=ledger_history(request.user)).qs
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(CSV_COLUMNS)
        for entry in rows.iterator(chunk_size=500):
            yield writer.writerow([
                entry.created_at.isoformat(), entry.kind, entry.amount, entry.balance_after,
                _spreadsheet_safe(ledger_reason_text(entry)), _spreadsheet_safe(_reference(request, entry)),
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
@require_safe
def earnings(request: HtmxHttpRequest):
    earned = ledger_earnings(request.user)
    table = EarningsByStyleTable(ledger_earnings_by_style(request.user), order_by=request.GET.get("sort") or "-tokens")
    context = {"table": table, "params": request.GET}
    if not wants_fragment(request):
        daily = ledger_daily_earnings(earned, days=CHART_DAYS)
        pending = ledger_earning_pending(request.user)
        context |= {
            "total": earned.aggregate(total=Sum("amount"))["total"] or 0,
            "pending": tokens_from_hundredths(pending) if pending else "",
            "recent_total": sum(amount for _, amount in daily),
            "earning_days": [(day, amount) for day, amount in reversed(daily) if amount],
            "chart_summary": daily_summary(daily, days=CHART_DAYS),
            "chart": bar_chart_svg(daily, label=_("Tokens earned per day, last %(days)s days") % {"days": CHART_DAYS}),
            "share_percent": settings.ARTIST_SHARE_PERCENT,
        }
    return render_page(request, "ledger/earnings.html", context, fragment="earnings-by-style")


@never_cache
@login_required
@require_safe
def balance(request: HtmxHttpRequest):
    # The nav badge re-fetches this on the tokensChanged event and swaps itself.
    return render(request, "components/token_badge.html")
