"""The price a buyer saw is the price they pay: generation_submit checks the quote under the style's lock."""

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections, transaction

from marketplace.core.exceptions import ServiceError
from marketplace.generations import services
from marketplace.generations.exceptions import PriceChanged
from marketplace.generations.models import Generation
from marketplace.generations.services import generation_submit
from marketplace.jobs.models import OutboxMessage
from marketplace.ledger.models import LedgerEntry
from marketplace.styles.models import Style
from marketplace.styles.services import style_delete


def submit(user, style, **overrides):
    fields = {"prompt_tags": ["fox"], "aspect_ratio": "1:1", "seed": 7, "request_key": uuid.uuid4()}
    return generation_submit(user=user, style_id=style.pk, **{**fields, **overrides})


def raise_price(style, price):
    Style.objects.filter(pk=style.pk).update(price_per_generation=price)


@pytest.mark.django_db
def test_the_quoted_price_is_charged(user, trained_style, fund):
    fund(user, 100)
    generation = submit(user, trained_style, aspect_ratio="1:2", quoted_cost=10)
    assert generation.cost == 10
    user.refresh_from_db()
    assert user.token_balance == 90


@pytest.mark.django_db
def test_a_price_raised_after_the_quote_charges_nothing(user, trained_style, fund):
    fund(user, 100)
    raise_price(trained_style, 16)  # the artist, after the buyer saw 5
    with pytest.raises(PriceChanged) as caught:
        submit(user, trained_style, quoted_cost=5)
    assert caught.value.message == "The price changed from 5 to 16 tokens; confirm to continue."
    assert (caught.value.quoted, caught.value.current) == (5, 16)
    assert not Generation.objects.exists() and not OutboxMessage.objects.exists()
    assert not LedgerEntry.objects.filter(kind="consume").exists()
    user.refresh_from_db()
    assert user.token_balance == 100


@pytest.mark.django_db
def test_confirming_the_new_quote_charges_it(user, trained_style, fund):
    fund(user, 100)
    raise_price(trained_style, 16)
    key = uuid.uuid4()
    with pytest.raises(PriceChanged):
        submit(user, trained_style, quoted_cost=5, request_key=key)
    generation = submit(user, trained_style, quoted_cost=16, request_key=key)
    assert generation.cost == 16
    user.refresh_from_db()
    assert user.token_balance == 84


@pytest.mark.django_db
def test_a_lowered_price_asks_again_too(user, trained_style, fund):
    fund(user, 100)
    raise_price(trained_style, 2)
    with pytest.raises(PriceChanged, match="from 5 to 2 tokens"):
        submit(user, trained_style, quoted_cost=5)


@pytest.mark.django_db
def test_the_quote_is_for_the_ratio_asked_for(user, trained_style, fund):
    fund(user, 100)
    with pytest.raises(PriceChanged, match="from 5 to 20 tokens"):
        submit(user, trained_style, aspect_ratio="2:2", quoted_cost=5)


@pytest.mark.django_db
def test_a_resubmitted_form_returns_its_generation_even_after_a_price_change(user, trained_style, fund):
    fund(user, 100)
    key = uuid.uuid4()
    first = submit(user, trained_style, quoted_cost=5, request_key=key)
    raise_price(trained_style, 16)
    assert submit(user, trained_style, quoted_cost=5, request_key=key) == first
    assert LedgerEntry.objects.filter(kind="consume").count() == 1


@pytest.mark.django_db
def test_a_style_deleted_after_the_quote_is_refused(user, trained_style, fund):
    fund(user, 100)
    style_delete(style=trained_style, by=trained_style.artist)
    with pytest.raises(ServiceError, match="not available"):
        submit(user, trained_style, quoted_cost=5)
    user.refresh_from_db()
    assert user.token_balance == 100


# --- Concurrency on PostgreSQL: the style's row lock orders a price change and a charge ---------


def in_thread(pool, fn):
    def run():
        try:
            return fn()
        except ServiceError as exc:
            return exc
        finally:
            connections.close_all()

    return pool.submit(run)


@pytest.mark.django_db(transaction=True)
def test_a_price_change_in_flight_is_waited_for_then_refused(postgres, make_user, trained_style, fund):
    """The artist's edit holds the style's row; the buyer's submit waits for it and sees the new price."""
    buyer = fund(make_user(), 100)
    locked, release = threading.Event(), threading.Event()

    def artist_raises_price():
        with transaction.atomic():
            style = Style.objects.select_for_update().get(pk=trained_style.pk)
            style.price_per_generation = 16
            style.save(update_fields=["price_per_generation"])
            locked.set()
            release.wait(10)

    with ThreadPoolExecutor(2) as pool:
        artist = in_thread(pool, artist_raises_price)
        assert locked.wait(10)
        bought = in_thread(pool, lambda: submit(buyer, trained_style, quoted_cost=5))
        time.sleep(0.5)
        waited = not bought.done()  # read before releasing: a submit that did not lock has charged 5 by now
        release.set()
        artist.result(10)
        outcome = bought.result(10)
    assert waited
    assert isinstance(outcome, PriceChanged) and outcome.current == 16
    assert not Generation.objects.exists()
    buyer.refresh_from_db()
    assert buyer.token_balance == 100


@pytest.mark.django_db(transaction=True)
def test_a_delete_cannot_land_between_the_check_and_the_charge(postgres, make_user, trained_style, fund, monkeypatch):
    """While a submit holds the style, deleting it waits; it then finds the image and keeps the style."""
    buyer = fund(make_user(), 100)
    charging, release = threading.Event(), threading.Event()
    real_debit = services.ledger_debit

    def slow_debit(**kwargs):
        charging.set()
        release.wait(10)
        return real_debit(**kwargs)

    monkeypatch.setattr(services, "ledger_debit", slow_debit)
    with ThreadPoolExecutor(2) as pool:
        bought = in_thread(pool, lambda: submit(buyer, trained_style, quoted_cost=5))
        assert charging.wait(10)
        deleted = in_thread(pool, lambda: style_delete(style=trained_style, by=trained_style.artist))
        time.sleep(0.5)
        waited = not deleted.done()
        release.set()
        generation = bought.result(10)
        how = deleted.result(10)
    assert waited
    assert isinstance(generation, Generation) and generation.cost == 5
    assert how == "soft"  # it saw the new image: the style is kept for its history
    assert Style.objects.filter(pk=trained_style.pk, deleted_at__isnull=False).exists()
