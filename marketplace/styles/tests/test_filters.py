"""The catalog's filters against one hand-built shelf of styles, each result checked exactly."""

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.styles.models import Style

CATALOG = reverse("styles:catalog")


@pytest.fixture
def shelf(make_style, make_user, artist):
    """Listed newest first: Plain, Neon, Lake, Ink Fox, Harbour."""
    other = make_user(username="oto", display_name="Oto Berg")
    make_style(
        name="Harbour", tags=["watercolor", "portrait"], price_per_generation=5, description="Soft harbour light"
    )
    make_style(name="Ink Fox", tags=["ink", "portrait"], price_per_generation=12, commercial_use=False)
    make_style(name="Lake", tags=["watercolor", "landscape"], price_per_generation=3, artist=other)
    make_style(
        name="Neon",
        tags=["neon", "portrait", "watercolor"],
        price_per_generation=20,
        commercial_use=False,
        artist=other,
        description="A night city in wet paint",
    )
    make_style(name="Plain", price_per_generation=8)
    make_style(name="Pending Portrait", tags=["watercolor", "portrait"], training_status=Style.Status.PENDING)
    make_style(name="Deleted Portrait", tags=["watercolor", "portrait"], deleted_at=timezone.now())
    return {"mira": artist, "oto": other}


def listed(client, **params):
    return [style.name for style in client.get(CATALOG, params).context["page"]]


def test_without_filters_every_live_style_is_listed(client, shelf):
    assert listed(client) == ["Plain", "Neon", "Lake", "Ink Fox", "Harbour"]


def test_tags_means_all_of_them(client, shelf):
    assert listed(client, tags="watercolor,portrait") == ["Neon", "Harbour"]
    assert listed(client, tags="portrait") == ["Neon", "Ink Fox", "Harbour"]
    assert listed(client, tags="watercolor,portrait,neon") == ["Neon"]
    assert listed(client, tags="ink,landscape") == []


def test_tags_are_normalised_like_everywhere_else(client, shelf):
    assert listed(client, tags=" Watercolor , PORTRAIT,,watercolor") == ["Neon", "Harbour"]


def test_tags_any_means_at_least_one(client, shelf):
    assert listed(client, tags_any="ink,landscape") == ["Lake", "Ink Fox"]
    assert listed(client, tags_any="neon,portrait") == ["Neon", "Ink Fox", "Harbour"]
    assert listed(client, tags_any="oil") == []


def test_tags_not_means_none_of_them(client, shelf):
    assert listed(client, tags_not="portrait") == ["Plain", "Lake"]
    assert listed(client, tags_not="neon,ink") == ["Plain", "Lake", "Harbour"]


def test_all_any_and_none_combine(client, shelf):
    assert listed(client, tags="watercolor", tags_not="neon") == ["Lake", "Harbour"]
    assert listed(client, tags="portrait", tags_any="ink,neon") == ["Neon", "Ink Fox"]
    assert listed(client, tags="portrait", tags_any="ink,neon", tags_not="watercolor") == ["Ink Fox"]


def test_tag_filters_with_artist(client, shelf):
    mira, oto = str(shelf["mira"].pk), str(shelf["oto"].pk)

    assert listed(client, artist_id=mira) == ["Plain", "Ink Fox", "Harbour"]
    assert listed(client, tags="watercolor", artist_id=oto) == ["Neon", "Lake"]
    assert listed(client, tags_any="ink,watercolor", artist_id=mira) == ["Ink Fox", "Harbour"]
    assert listed(client, tags_not="portrait", artist_id=mira) == ["Plain"]


def test_tag_filters_with_search_over_name_and_description(client, shelf):
    assert listed(client, q="HARBOUR") == ["Harbour"]
    assert listed(client, q="night city") == ["Neon"]
    assert listed(client, q="a", tags="portrait") == ["Neon", "Harbour"]
    assert listed(client, q="ink", tags_any="portrait") == ["Ink Fox"]
    assert listed(client, q="light", tags_not="watercolor") == []


def test_tag_filters_with_price_range(client, shelf):
    assert listed(client, price_min=5, price_max=12) == ["Plain", "Ink Fox", "Harbour"]
    assert listed(client, tags="portrait", price_max=12) == ["Ink Fox", "Harbour"]
    assert listed(client, tags_any="landscape,neon", price_min=4) == ["Neon"]
    assert listed(client, tags_not="portrait", price_min=4) == ["Plain"]


def test_commercial_use_filter(client, shelf):
    assert listed(client, commercial="on") == ["Plain", "Lake", "Harbour"]
    assert listed(client, tags="portrait", commercial="on") == ["Harbour"]


def test_every_filter_at_once(client, shelf):
    params = {"tags": "watercolor", "tags_any": "portrait,landscape", "tags_not": "neon", "price_max": 10}

    assert listed(client, **params) == ["Lake", "Harbour"]
    assert listed(client, **params, artist_id=shelf["mira"].pk, q="soft", commercial="on") == ["Harbour"]


def test_filters_never_list_unlisted_styles(client, shelf):
    assert "Pending Portrait" not in listed(client, tags_any="watercolor")
    assert "Deleted Portrait" not in listed(client, tags="watercolor,portrait")


def test_seed_list_with_tag_filtering_and_pagination(client, make_style):
    for n in range(25):
        make_style(name=f"Water {n:02d}", tags=["watercolor"] if n % 2 else ["watercolor", "ink"])
    make_style(name="Oil", tags=["oil"])

    first = client.get(CATALOG, {"tags": "watercolor,ink"})
    names = [style.name for style in first.context["page"]]

    assert names == [f"Water {n:02d}" for n in range(24, -1, -2)]
    assert first.context["page"].next_cursor is None
    watercolor = client.get(CATALOG, {"tags": "watercolor"})
    assert len(watercolor.context["page"]) == 20
    rest = client.get(CATALOG, {"tags": "watercolor", "cursor": watercolor.context["page"].next_cursor})
    assert [style.name for style in rest.context["page"]] == [f"Water {n:02d}" for n in range(4, -1, -1)]
