from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from marketplace.core.testing import (
    credit_tokens,
    imagefiles,
    rabbitmq,  # noqa: F401  (a shared fixture)
    reference_worker,  # noqa: F401  (a shared fixture)
)


@pytest.fixture
def postgres(db):
    """Marks a test that needs PostgreSQL's semantics (locks, real concurrency)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")


@pytest.fixture
def make_user(db):
    from marketplace.accounts.models import User

    counter = {"n": 0}

    def make(**kwargs):
        counter["n"] += 1
        n = counter["n"]
        kwargs.setdefault("username", f"user{n}")
        kwargs.setdefault("email", f"user{n}@example.com")
        password = kwargs.pop("password", "correct-horse-battery")
        user = User.objects.create_user(password=password, **kwargs)
        return user

    return make


@pytest.fixture
def user(make_user):
    return make_user(display_name="Ada")


@pytest.fixture
def artist(make_user):
    from marketplace.accounts.models import User

    return make_user(username="mira", display_name="Mira Okafor", role=User.Role.ARTIST)


@pytest.fixture
def make_style(db, artist):
    from django.utils import timezone
    from django.utils.text import slugify

    from marketplace.styles.models import Style, Tag

    counter = {"n": 0}

    def make(*, tags=(), **kwargs):
        counter["n"] += 1
        kwargs.setdefault("artist", artist)
        kwargs.setdefault("name", f"Style {counter['n']}")
        kwargs.setdefault("slug", slugify(kwargs["name"]) + f"-{counter['n']}")
        kwargs.setdefault("price_per_generation", 5)
        kwargs.setdefault("commercial_use", True)
        kwargs.setdefault("credit_required", False)
        kwargs.setdefault("training_status", Style.Status.COMPLETED)
        if kwargs["training_status"] == Style.Status.COMPLETED:
            kwargs.setdefault("trained_at", timezone.now())
        style = Style.objects.create(**kwargs)
        for name in tags:
            style.tags.add(Tag.objects.get_or_create(name=name)[0])
        return style

    return make


@pytest.fixture
def style(make_style):
    return make_style(name="Ink Wash", tags=["ink", "monochrome"])


@pytest.fixture
def make_generation(db, user, style):
    from marketplace.generations.models import Generation

    def make(**kwargs):
        kwargs.setdefault("user", user)
        kwargs.setdefault("style", style)
        kwargs.setdefault("prompt", "a fox, snow")
        kwargs.setdefault("aspect_ratio", "1:1")
        kwargs.setdefault("seed", 42)
        kwargs.setdefault("cost", 5)
        return Generation.objects.create(**kwargs)

    return make


@pytest.fixture
def trained_style(make_style):
    style = make_style(name="Ink Wash", price_per_generation=5, tags=["ink"])
    style.model_path.save(f"style-{style.pk}.json", ContentFile(b'{"kind": "atelier-reference-signature"}'))
    return style


@pytest.fixture
def fund():
    """fund(user, amount[, key]) buys `user` tokens through the ledger; returns `user`, refreshed."""

    def add(user, amount, key=None):
        credit_tokens(user, amount, key)
        return user

    return add


@pytest.fixture
def png_bytes():
    """png_bytes(size=(512, 512)): a plain PNG's bytes."""
    return imagefiles.png
