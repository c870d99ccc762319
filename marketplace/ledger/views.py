from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from marketplace.core.types import HtmxHttpRequest

WALLET_ROWS = 20


@login_required
@require_GET
def wallet(request: HtmxHttpRequest):
    entries = request.user.ledger_entries.order_by("-created_at", "-id")[:WALLET_ROWS]
    return render(request, "ledger/wallet.html", {"entries": entries})


@never_cache
@login_required
@require_GET
def balance(request: HtmxHttpRequest):
    # The nav badge re-fetches this on the tokensChanged event and swaps itself.
    return render(request, "components/token_badge.html")
