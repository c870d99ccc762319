import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from marketplace.core.pagination import encode_cursor
from marketplace.core.testing import credit_tokens
from marketplace.ledger.models import LedgerEntry, Payment
from marketplace.ledger.payments import TOKEN_PACKS
from marketplace.ledger.services import ledger_credit_earning, ledger_debit, payment_purchase_pack

pytestmark = pytest.mark.django_db

# Session, user, unread-notification count, payments being confirmed, row count,
# one page of rows (payment and generation joined), whether the welcome tokens still wait for a verified email.
MAX_WALLET_QUERIES = 7


def test_wallet_requires_login(client):
    response = client.get(reverse("ledger:wallet"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_wallet_lists_own_movements_with_signs_and_reasons(client, user, make_user):
    credit_tokens(user, 100, "mine-1", reason="Starter pack")
    ledger_debit(user_id=user.pk, amount=5, reason="Generation in Ink Wash", idempotency_key="mine-2")
    other = make_user()
    credit_tokens(other, 999, "theirs-1", reason="Someone else's pack")

    client.force_login(user)
    body = client.get(reverse("ledger:wallet")).content.decode()
    assert 'data-testid="wallet-balance">95<' in body
    assert body.count('data-testid="ledger-row"') == 2
    assert "Starter pack" in body and "+100" in body
    assert "Generation in Ink Wash" in body and "-5" in body
    assert "Someone else&#x27;s pack" not in body
    # Newest first.
    assert body.index("Generation in Ink Wash") < body.index("Starter pack")


def test_wallet_shows_the_latest_20_rows(client, user):
    for n in range(25):
        credit_tokens(user, 1, f"k{n}", reason=f"Grant number {n}.")
    client.force_login(user)
    body = client.get(reverse("ledger:wallet")).content.decode()
    assert body.count('data-testid="ledger-row"') == 20
    assert "Grant number 24." in body
    assert "Grant number 4." not in body


def test_wallet_empty_state(client, user):
    client.force_login(user)
    body = client.get(reverse("ledger:wallet")).content.decode()
    assert "No token movements yet." in body
    assert 'data-testid="ledger-row"' not in body


def test_balance_fragment_returns_current_number(client, user):
    client.force_login(user)
    credit_tokens(user, 40, "b1")
    response = client.get(reverse("ledger:balance"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="token-balance">40<' in body
    assert body.lstrip().startswith('<a id="token-badge"')  # a fragment, not a page
    assert "<html" not in body

    credit_tokens(user, 2, "b2")
    body = client.get(reverse("ledger:balance"), headers={"HX-Request": "true"}).content.decode()
    assert 'data-testid="token-balance">42<' in body


def test_balance_fragment_requires_login(client):
    response = client.get(reverse("ledger:balance"))
    assert response.status_code == 302


# --- History: filters, sorting, paging, fragments ------------------------------------------------


def backdate(entry, days):
    LedgerEntry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - timedelta(days=days))


def kinds_in(body):
    return re.findall(r'data-testid="ledger-row" data-kind="(\w+)"', body)


def test_wallet_fragment_is_the_history_section_only(client, user):
    credit_tokens(user, 10, "f1")
    client.force_login(user)
    response = client.get(reverse("ledger:wallet"), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="history"')
    assert "<html" not in body and 'data-testid="wallet-balance"' not in body
    assert body.count('data-testid="ledger-row"') == 1
    assert "HX-Request" in response["Vary"]


def test_history_restore_request_gets_the_full_page(client, user):
    client.force_login(user)
    response = client.get(
        reverse("ledger:wallet") + "?kind=purchase",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    body = response.content.decode()
    assert "<html" in body and 'data-testid="wallet-balance"' in body and 'id="history"' in body
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("htmx", [False, True])
def test_history_filters_by_kind(client, user, htmx):
    credit_tokens(user, 50, "p1", reason="Starter pack")
    ledger_debit(user_id=user.pk, amount=5, reason="Generation in Ink Wash", idempotency_key="c1")
    client.force_login(user)
    headers = {"HX-Request": "true"} if htmx else {}
    body = client.get(reverse("ledger:wallet") + "?kind=consume", headers=headers).content.decode()
    assert kinds_in(body) == ["consume"]
    assert "Generation in Ink Wash" in body and "Starter pack" not in body
    # The form shows the active filter and offers the way back.
    assert '<option value="consume" selected>' in body
    assert "Show all movements" in body


def test_history_filters_by_date_range(client, user):
    old = credit_tokens(user, 1, "old", reason="Ten days ago")
    mid = credit_tokens(user, 2, "mid", reason="Five days ago")
    credit_tokens(user, 3, "new", reason="Today")
    backdate(old, 10)
    backdate(mid, 5)
    client.force_login(user)
    today = timezone.localdate()
    query = f"?date_from={today - timedelta(days=7)}&date_to={today - timedelta(days=1)}"
    body = client.get(reverse("ledger:wallet") + query).content.decode()
    assert body.count('data-testid="ledger-row"') == 1
    assert "Five days ago" in body and "Ten days ago" not in body and ">Today<" not in body


def test_history_with_no_match_says_what_to_change(client, user):
    credit_tokens(user, 10, "p1")
    client.force_login(user)
    body = client.get(reverse("ledger:wallet") + "?kind=refund", headers={"HX-Request": "true"}).content.decode()
    assert 'data-testid="ledger-row"' not in body
    assert "No token movements match these filters. Choose another kind, widen the dates" in body
    assert "No token movements yet." not in body


@pytest.mark.parametrize("sort", ["", "amount", "-amount"])
def test_history_is_newest_first_and_not_sortable(client, user, sort):
    # Paged by keyset on the date, the table has one order; an old bookmarked ?sort= is ignored.
    for n, amount in enumerate([7, 30, 1]):
        credit_tokens(user, amount, f"s{n}")
    client.force_login(user)
    body = client.get(reverse("ledger:wallet") + f"?sort={sort}", headers={"HX-Request": "true"}).content.decode()
    assert [int(a) for a in re.findall(r'class="credit">\+(\d+)<', body)] == [1, 30, 7]
    assert "aria-sort" not in body and "sort=" not in body


@pytest.mark.parametrize("htmx", [False, True])
def test_history_pages_by_20_with_an_older_link(client, user, htmx):
    for n in range(25):
        credit_tokens(user, 1, f"k{n}", reason=f"Grant number {n}.")
    client.force_login(user)
    headers = {"HX-Request": "true"} if htmx else {}
    first = client.get(reverse("ledger:wallet") + "?kind=purchase", headers=headers).content.decode()
    assert first.count('data-testid="ledger-row"') == 20 and "20 movements" not in first  # no COUNT
    older = re.search(r'href="(\?kind=purchase&amp;cursor=[\w-]+)" hx-get="[^"]+" hx-target="#history"', first)
    body = client.get(reverse("ledger:wallet") + older.group(1).replace("&amp;", "&"), headers=headers).content.decode()
    assert body.count('data-testid="ledger-row"') == 5
    assert "Grant number 4." in body and "Grant number 5." not in body
    assert 'rel="next"' not in body
    assert 'href="?kind=purchase" hx-get="?kind=purchase"' in body and "Back to the newest movements" in body


def test_a_cursor_that_does_not_decode_shows_the_newest_page(client, user):
    for n in range(21):
        credit_tokens(user, 1, f"k{n}")
    client.force_login(user)
    body = client.get(reverse("ledger:wallet") + "?cursor=garbage").content.decode()
    assert body.count('data-testid="ledger-row"') == 20 and 'rel="next"' in body


def test_rows_link_to_their_cause(client, user, artist, make_generation, style):
    payment = payment_purchase_pack(user_id=user.pk, pack_code="starter", idempotency_key="buy-1")
    own = make_generation()
    ledger_debit(user_id=user.pk, amount=5, reason="Generation in Ink Wash", idempotency_key="c1", generation=own)
    public = make_generation(visibility="public", status="completed")
    private = make_generation()
    ledger_credit_earning(generation=public)
    ledger_credit_earning(generation=private)

    client.force_login(user)
    body = client.get(reverse("ledger:wallet")).content.decode()
    assert f"Payment <code>{payment.provider_reference}</code>" in body
    assert f'<a href="{own.get_absolute_url()}">Generation #{own.pk}</a>' in body

    client.force_login(artist)
    body = client.get(reverse("ledger:wallet")).content.decode()
    assert f'<a href="{public.get_absolute_url()}">Generation #{public.pk}</a>' in body
    # The buyer's private image earns the artist tokens but is not theirs to open.
    assert f"Generation #{private.pk} (private)" in body
    assert private.get_absolute_url() not in body


def test_another_users_rows_are_never_visible(client, user, make_user):
    credit_tokens(user, 10, "mine", reason="My pack")
    other = make_user()
    credit_tokens(other, 999, "theirs", reason="Their pack")
    ledger_debit(user_id=other.pk, amount=9, reason="Their generation", idempotency_key="theirs-2")
    client.force_login(user)
    for query in ("", "?kind=purchase", "?kind=consume", f"?cursor={encode_cursor(LedgerEntry.objects.last())}"):
        for headers in ({}, {"HX-Request": "true"}):
            body = client.get(reverse("ledger:wallet") + query, headers=headers).content.decode()
            assert "Their pack" not in body and "Their generation" not in body and ">+999<" not in body
    csv_body = b"".join(client.get(reverse("ledger:history-csv")).streaming_content).decode()
    assert "Their pack" not in csv_body and "Their generation" not in csv_body
    assert len(csv_body.strip().splitlines()) == 2


# --- Purchases ------------------------------------------------------------------------------------


def buy(client, pack="starter", key="6f1c2d4e-8a9b-4c3d-9e8f-0a1b2c3d4e5f", **headers):
    return client.post(reverse("ledger:buy"), {"pack": pack, "submission": key}, headers=headers)


def test_wallet_offers_every_pack_with_its_own_key(client, user):
    client.force_login(user)
    body = client.get(reverse("ledger:wallet")).content.decode()
    assert body.count('data-testid="token-pack"') == len(TOKEN_PACKS)
    assert "Buy 100 tokens for €5.00" in body and "Buy 2000 tokens for €65.00" in body
    keys = re.findall(r'name="submission" value="([0-9a-f-]{36})"', body)
    assert len(set(keys)) == len(TOKEN_PACKS)
    # The price is never posted: only the pack code and the key.
    assert 'name="price' not in body and 'name="tokens' not in body


def test_purchase_redirects_back_with_a_message(client, user):
    client.force_login(user)
    response = buy(client, pack="studio")
    assert response.status_code == 302 and response["Location"] == reverse("ledger:wallet")
    body = client.get(response["Location"]).content.decode()
    assert "+500 tokens" in body
    assert 'data-testid="wallet-balance">500<' in body
    assert 'data-testid="token-balance">500<' in body


def test_double_submitted_purchase_credits_once(client, user):
    client.force_login(user)
    assert buy(client).status_code == 302
    assert buy(client).status_code == 302
    assert buy(client, **{"HX-Request": "true"}).status_code == 200
    user.refresh_from_db()
    assert user.token_balance == 100
    assert Payment.objects.filter(user=user).count() == 1
    assert user.ledger_entries.filter(kind="purchase").count() == 1


def test_unknown_pack_is_refused_and_nothing_is_charged(client, user):
    client.force_login(user)
    response = buy(client, pack="free-money")
    assert response.status_code == 302
    assert "That token pack does not exist." in client.get(response["Location"]).content.decode()
    assert not Payment.objects.exists()
    user.refresh_from_db()
    assert user.token_balance == 0


def test_purchase_without_a_key_is_refused(client, user):
    client.force_login(user)
    response = client.post(reverse("ledger:buy"), {"pack": "starter"}, follow=True)
    assert "This purchase form is incomplete." in response.content.decode()
    assert not Payment.objects.exists()


def test_purchase_needs_post_and_login(client, user):
    assert buy(client).status_code == 302 and not Payment.objects.exists()
    client.force_login(user)
    assert client.get(reverse("ledger:buy")).status_code == 405


def test_htmx_purchase_swaps_balance_and_history_and_announces_the_change(client, user):
    credit_tokens(user, 40, "p0", reason="Earlier pack")
    ledger_debit(user_id=user.pk, amount=5, reason="Generation in Ink Wash", idempotency_key="c1")
    client.force_login(user)
    response = buy(client, pack="studio", **{
        "HX-Request": "true", "HX-Current-URL": "http://testserver/wallet/?kind=purchase",
    })
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"tokensChanged": {"balance": 535}}
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="balance"')
    assert 'data-testid="wallet-balance">535<' in body
    assert '<p class="message message-success" role="status">+500 tokens</p>' in body
    # The history comes along out of band, filtered as the address bar says.
    assert '<section id="history" aria-labelledby="history-heading" hx-swap-oob="true">' in body
    assert kinds_in(body) == ["purchase", "purchase"]
    # Fresh keys, so the next click is a new purchase.
    assert "6f1c2d4e-8a9b-4c3d-9e8f-0a1b2c3d4e5f" not in body


def test_htmx_refused_purchase_does_not_announce_a_change(client, user):
    client.force_login(user)
    response = buy(client, pack="free-money", **{"HX-Request": "true"})
    assert "HX-Trigger" not in response
    assert "That token pack does not exist." in response.content.decode()


# --- CSV -----------------------------------------------------------------------------------------


def read_csv(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_csv_has_every_filtered_row_with_references(client, user, make_generation):
    payment = payment_purchase_pack(user_id=user.pk, pack_code="starter", idempotency_key="buy-1")
    generation = make_generation()
    ledger_debit(
        user_id=user.pk, amount=5, reason="Generation in Ink Wash", idempotency_key="c1", generation=generation
    )
    for n in range(30):
        credit_tokens(user, 1, f"g{n}", reason=f"Grant {n}")
    client.force_login(user)

    rows = read_csv(client.get(reverse("ledger:history-csv")))
    assert rows[0] == ["date", "kind", "amount", "balance_after", "reason", "reference"]
    assert len(rows) == 1 + 32  # every row, not a page
    consume = next(row for row in rows if row[1] == "consume")
    assert consume[2:] == ["-5", "95", "Generation in Ink Wash", f"http://testserver{generation.get_absolute_url()}"]
    purchase = next(row for row in rows if row[1] == "purchase" and row[4] == "Bought the Starter pack")
    assert purchase[2:4] == ["100", "100"] and purchase[5] == payment.provider_reference

    rows = read_csv(client.get(reverse("ledger:history-csv") + "?kind=consume"))
    assert [row[1] for row in rows[1:]] == ["consume"]


def test_csv_defuses_formulas_in_reasons(client, user):
    credit_tokens(user, 5, "x", reason="=HYPERLINK(\"http://evil\")")
    client.force_login(user)
    rows = read_csv(client.get(reverse("ledger:history-csv")))
    assert rows[1][4] == "'=HYPERLINK(\"http://evil\")"


def test_csv_link_carries_the_filters(client, user):
    credit_tokens(user, 5, "x")
    client.force_login(user)
    credit_tokens(user, 5, "y")
    cursor = encode_cursor(LedgerEntry.objects.filter(user=user).first())
    body = client.get(reverse("ledger:wallet") + f"?kind=purchase&cursor={cursor}").content.decode()
    assert f'href="{reverse("ledger:history-csv")}?kind=purchase"' in body


def test_csv_requires_login(client):
    assert client.get(reverse("ledger:history-csv")).status_code == 302


# --- Earnings ------------------------------------------------------------------------------------


@pytest.fixture
def earnings_data(user, make_user, artist, make_style, make_generation):
    """Mira's two styles: 3 generations in Ink (cost 10 → 7 each), 1 in Dusk (cost 20 → 14)."""
    ink, dusk = make_style(name="Ink"), make_style(name="Dusk")
    entries = [ledger_credit_earning(generation=make_generation(style=ink, cost=10)) for _ in range(3)]
    entries.append(ledger_credit_earning(generation=make_generation(style=dusk, cost=20)))
    # Someone else's earnings never count for Mira.
    other_artist = make_user()
    ledger_credit_earning(generation=make_generation(style=make_style(name="Other", artist=other_artist), cost=50))
    return {"ink": ink, "dusk": dusk, "entries": entries}


def test_earnings_totals_and_per_style(client, artist, earnings_data):
    client.force_login(artist)
    body = client.get(reverse("ledger:earnings")).content.decode()
    assert 'data-testid="earnings-total">35<' in body
    rows = re.findall(
        r'data-testid="earnings-row".*?<a href="([^"]+)">([^<]+)</a></td><td class="numeric">(\d+)</td>'
        r'<td class="numeric">(\d+)</td>',
        body, flags=re.S,
    )
    ink, dusk = earnings_data["ink"], earnings_data["dusk"]
    assert rows == [(ink.get_absolute_url(), "Ink", "3", "21"), (dusk.get_absolute_url(), "Dusk", "1", "14")]
    assert "Other" not in body


def test_earnings_table_sorts_in_a_fragment(client, artist, earnings_data):
    client.force_login(artist)
    response = client.get(reverse("ledger:earnings") + "?sort=tokens", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="earnings-by-style">') and "<html" not in body
    assert "HX-Request" in response["Vary"]
    assert re.findall(r">(Ink|Dusk)</a>", body) == ["Dusk", "Ink"]
    assert 'hx-get="?sort=-tokens" hx-target="#earnings-by-style"' in body


def test_earnings_chart_has_a_bar_per_day_with_earnings(client, artist, earnings_data):
    first, second, third, dusk = earnings_data["entries"]
    backdate(first, 3)
    backdate(second, 3)
    backdate(third, 40)  # outside the chart's 30 days, still in the total
    client.force_login(artist)
    body = client.get(reverse("ledger:earnings")).content.decode()
    svg = body[body.index('<svg class="chart"'):]
    svg = svg[:svg.index("</svg>")]
    assert 'role="img"' in svg and 'aria-label="Tokens earned per day, last 30 days: 28 tokens"' in svg
    titles = re.findall(r"<title>([^<]+)</title>", svg)
    today = timezone.localdate()
    assert titles == [
        f"{date_format(today - timedelta(days=3), 'DATE_FORMAT')}: 14 tokens",
        f"{date_format(today, 'DATE_FORMAT')}: 14 tokens",
    ]
    assert 'data-testid="earnings-total">35<' in body
    # The same in words and as a table, for anyone who cannot hover over the bars.
    three_days_ago = date_format(today - timedelta(days=3), "DATE_FORMAT")
    summary = re.search(r'<figcaption data-testid="chart-summary">([^<]+)</figcaption>', body).group(1)
    best = date_format(today, "DATE_FORMAT")  # the latest of the two equal days
    assert summary == f"28 tokens earned in the last 30 days, on 2 days; the best was {best}, with 14 tokens."
    table = body[body.index('data-testid="chart-table"'):body.index("</table>")]
    assert re.findall(r"<tr><td>([^<]+)</td><td class=\"numeric\">(\d+)</td></tr>", table) == [
        (date_format(today, "DATE_FORMAT"), "14"), (three_days_ago, "14"),
    ]


def test_earnings_empty_state(client, user):
    client.force_login(user)
    body = client.get(reverse("ledger:earnings")).content.decode()
    assert "No earnings yet." in body and '<svg class="chart"' not in body and 'data-testid="earnings-row"' not in body


def test_earnings_requires_login(client):
    assert client.get(reverse("ledger:earnings")).status_code == 302


# --- Query counts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [5, 50])
def test_wallet_queries_do_not_grow_with_rows(client, user, make_generation, django_assert_max_num_queries, rows):
    for n in range(rows):
        if n % 2:
            ledger_debit(user_id=user.pk, amount=1, reason="gen", idempotency_key=f"c{n}", generation=make_generation())
        else:
            payment_purchase_pack(user_id=user.pk, pack_code="starter", idempotency_key=f"buy-{n}")
    client.force_login(user)
    with django_assert_max_num_queries(MAX_WALLET_QUERIES):
        response = client.get(reverse("ledger:wallet"))
    assert response.content.decode().count('data-testid="ledger-row"') == min(rows, 20)
