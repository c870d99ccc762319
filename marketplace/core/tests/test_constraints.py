"""Each database constraint rejects what it forbids, on SQLite and PostgreSQL alike.

Every constraint here is a CHECK, UNIQUE or NOT NULL constraint,
all of which SQLite enforces too (on_delete=PROTECT is Django's own check), so
none of these tests needs the `postgres` fixture; a constraint that only
PostgreSQL can express (an exclusion constraint, say) would.
"""

import pytest
from django.db import IntegrityError, transaction

from marketplace.accounts.models import User
from marketplace.community.models import Comment, Follow, Like
from marketplace.core.testing import credit_tokens
from marketplace.generations.models import Generation
from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.services import ledger_debit
from marketplace.styles.models import Style, Tag

pytestmark = pytest.mark.django_db


def rejects(callable_):
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_()


def test_balance_never_negative(user):
    rejects(lambda: User.objects.filter(pk=user.pk).update(token_balance=-1))


def test_unique_like_per_user_and_image(user, make_generation):
    generation = make_generation()
    Like.objects.create(user=user, generation=generation)
    rejects(lambda: Like.objects.create(user=user, generation=generation))


def test_unique_follow(user, artist):
    Follow.objects.create(follower=user, following=artist)
    rejects(lambda: Follow.objects.create(follower=user, following=artist))


def test_no_self_follow(user):
    rejects(lambda: Follow.objects.create(follower=user, following=user))


def test_ledger_amount_nonzero(user):
    rejects(
        lambda: LedgerEntry.objects.create(
            user=user, kind="adjustment", amount=0, balance_after=0, reason="x", idempotency_key="k0"
        )
    )


def test_ledger_sign_must_match_kind(user):
    rejects(
        lambda: LedgerEntry.objects.create(
            user=user, kind="consume", amount=5, balance_after=5, reason="x", idempotency_key="k1"
        )
    )
    rejects(
        lambda: LedgerEntry.objects.create(
            user=user, kind="welcome", amount=-5, balance_after=0, reason="x", idempotency_key="k2"
        )
    )


def test_ledger_balance_after_never_negative(user):
    rejects(
        lambda: LedgerEntry.objects.create(
            user=user, kind="adjustment", amount=-5, balance_after=-5, reason="x", idempotency_key="k3"
        )
    )


def test_ledger_idempotency_key_unique(user):
    LedgerEntry.objects.create(user=user, kind="welcome", amount=5, balance_after=5, reason="x", idempotency_key="dup")
    rejects(
        lambda: LedgerEntry.objects.create(
            user=user, kind="purchase", amount=5, balance_after=10, reason="x", idempotency_key="dup"
        )
    )


def test_a_debit_is_refunded_at_most_once(user):
    credit_tokens(user, 10, "p1")
    debit = ledger_debit(user_id=user.pk, amount=4, reason="gen", idempotency_key="d1")
    LedgerEntry.objects.create(
        user=user, kind="refund", amount=4, balance_after=10, reason="r", idempotency_key="r1", refund_of=debit
    )
    rejects(
        lambda: LedgerEntry.objects.create(
            user=user, kind="refund", amount=4, balance_after=14, reason="r", idempotency_key="r2", refund_of=debit
        )
    )


def test_refund_must_name_its_debit(user):
    rejects(
        lambda: LedgerEntry.objects.create(
            user=user, kind="refund", amount=4, balance_after=4, reason="r", idempotency_key="r3"
        )
    )


def test_style_price_bounds(make_style):
    rejects(lambda: make_style(price_per_generation=0))
    rejects(lambda: make_style(price_per_generation=1001))


def test_style_slug_unique(make_style):
    make_style(slug="same")
    rejects(lambda: make_style(slug="same"))


def test_style_licence_has_no_default(artist):
    rejects(
        lambda: Style.objects.create(
            artist=artist, name="No licence", slug="no-licence", price_per_generation=3, credit_required=False
        )
    )


def test_tag_lowercase_and_unique():
    Tag.objects.create(name="ink")
    rejects(lambda: Tag.objects.create(name="ink"))
    rejects(lambda: Tag.objects.create(name="Watercolor"))
    rejects(lambda: Tag.objects.create(name=""))


def test_generation_constraints(make_generation):
    rejects(lambda: make_generation(cost=0))
    rejects(lambda: make_generation(aspect_ratio="3:4"))
    rejects(lambda: make_generation(seed=-1))
    rejects(lambda: make_generation(progress=101))


def test_generation_request_key_unique(make_generation):
    import uuid

    key = uuid.uuid4()
    make_generation(request_key=key)
    rejects(lambda: make_generation(request_key=key))


def test_comment_length(user, make_generation):
    generation = make_generation()
    rejects(lambda: Comment.objects.create(user=user, generation=generation, body=""))
    rejects(lambda: Comment.objects.create(user=user, generation=generation, body="x" * 501))
    Comment.objects.create(user=user, generation=generation, body="x" * 500)
    assert Comment.objects.count() == 1


def test_style_with_generations_cannot_be_hard_deleted(make_generation, style):
    from django.db.models import ProtectedError

    make_generation(status=Generation.Status.COMPLETED)
    with pytest.raises(ProtectedError):
        style.delete()
