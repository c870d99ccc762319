"""The CI gate of issue 14: every list page costs the same number of queries with 3 rows as with 30, and at most 8.

One world grows from 3 to 30 of everything a list shows: the artist's live styles and public images, likes on
them, comments on one image, people the artist follows (each with a public image in the artist's style, which
earns the artist a share), notifications, token movements and the artist's own private images. Each page is
asked once before measuring (the per-visitor and per-site caches a live site holds warm), then measured at 3,
grown to 30 and measured again. A page that grows with the data, or passes the budget, names its queries.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace.community.models import Comment, Follow, Like
from marketplace.core.pagination import encode_cursor
from marketplace.core.testing import credit_tokens, public_image
from marketplace.generations.models import Generation
from marketplace.ledger.services import ledger_credit_earning
from marketplace.notifications.models import Notification
from marketplace.notifications.services import notification_create

BUDGET = 8
SMALL, LARGE = 3, 30
HX = {"HX-Request": "true"}


class World:
    """What the lists show, grown to `n` of each by grow(n)."""

    def __init__(self, make_user, make_style, make_generation, artist):
        self.make_user, self.make_style, self.make_generation = make_user, make_style, make_generation
        self.artist = artist
        self.styles, self.images, self.people = [], [], []

    def grow(self, n: int) -> None:
        artist = self.artist
        while len(self.styles) < n:
            self.styles.append(self.make_style(name=f"Listed {len(self.styles)}", tags=["ink", f"t{len(self.styles)}"]))
        style = self.styles[0]
        while len(self.images) < n:
            prompt = f"fox {len(self.images)}"
            self.images.append(public_image(self.make_generation, user=artist, style=style, prompt=prompt))
            self.make_generation(user=artist, style=style, status=Generation.Status.COMPLETED, image="g/private.png")
        while len(self.people) < n:
            person = self.make_user()
            self.people.append(person)
            Follow.objects.create(follower=artist, following=person)
            Follow.objects.create(follower=person, following=artist)
            bought = public_image(self.make_generation, user=person, style=style, prompt="a heron")
            ledger_credit_earning(generation=bought)
            Like.objects.create(user=person, generation=self.images[0])
            Comment.objects.create(user=person, generation=self.images[0], body="Lovely.")
            notification_create(recipient=artist, kind=Notification.Kind.TRAINING_COMPLETE, message="Done", link="/")
            credit_tokens(artist, 1, f"grant-{person.pk}")

    def cursor(self, rows) -> str:
        return encode_cursor(rows[1])  # a page after the first: the deep path the "more" link takes


def _pages(world: World) -> dict[str, tuple[str, dict]]:
    image = world.images[0]
    comments = list(Comment.objects.filter(generation=image).order_by("created_at", "id"))
    newest = sorted(world.images, key=lambda g: (g.created_at, g.pk), reverse=True)
    return {
        "home": (reverse("home"), {}),
        "catalog grid": (reverse("styles:catalog"), {}),
        "catalog table": (reverse("styles:catalog") + "?view=table", {}),
        "catalog popular": (reverse("styles:catalog") + "?sort=popular", {}),
        "catalog next page": (reverse("styles:catalog") + f"?cursor={encode_cursor(world.styles[-2])}", HX),
        "style page": (world.styles[0].get_absolute_url(), {}),
        "feed latest": (reverse("community:feed"), {}),
        "feed following": (reverse("community:feed") + "?tab=following", {}),
        "feed top": (reverse("community:feed") + "?tab=top", {}),
        "feed next page": (reverse("community:feed") + f"?cursor={world.cursor(newest)}", HX),
        "image with comments": (image.get_absolute_url(), {}),
        "image next comments": (image.get_absolute_url() + f"?comments={encode_cursor(comments[0])}", HX),
        "artist page": (world.artist.get_absolute_url(), {}),
        "artist next images": (world.artist.get_absolute_url() + f"?cursor={world.cursor(newest)}", HX),
        "notifications": (reverse("notifications:list"), {}),
        "wallet": (reverse("ledger:wallet"), {}),
        "gallery": (reverse("generations:mine"), {}),
        "earnings": (reverse("ledger:earnings"), {}),
        "studio": (reverse("styles:studio"), {}),
        "following": (reverse("community:following"), {}),
    }


PUBLIC = [
    "home", "catalog grid", "catalog table", "catalog popular", "catalog next page", "style page", "feed latest",
    "feed top", "feed next page", "image with comments", "image next comments", "artist page", "artist next images",
]
PERSONAL = ["feed following", "notifications", "wallet", "gallery", "earnings", "studio", "following"]
CASES = [(name, True) for name in PUBLIC + PERSONAL] + [(name, False) for name in PUBLIC]


def _measure(client, url: str, headers: dict) -> CaptureQueriesContext:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    return queries


def _listing(queries: CaptureQueriesContext) -> str:
    return "\n".join(q["sql"][:160] for q in queries.captured_queries)


@pytest.mark.parametrize(("name", "signed_in"), CASES, ids=[f"{n}-{'signed-in' if s else 'anon'}" for n, s in CASES])
def test_list_page_costs_the_same_queries_at_3_and_30_rows(
    client, make_user, make_style, make_generation, artist, name, signed_in
):
    world = World(make_user, make_style, make_generation, artist)
    world.grow(SMALL)
    url, headers = _pages(world)[name]
    if signed_in:
        client.force_login(artist)
    client.get(url, headers=headers)  # warm
    small = _measure(client, url, headers)
    world.grow(LARGE)
    url, headers = _pages(world)[name]
    large = _measure(client, url, headers)
    counts = f"{name}: {len(small)} queries at {SMALL} rows, {len(large)} at {LARGE}"
    print(counts)  # the figures, with pytest -s
    assert len(small) == len(large), f"{counts}\n{_listing(large)}"
    assert len(large) <= BUDGET, f"{name}: {len(large)} queries\n{_listing(large)}"
