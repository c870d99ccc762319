"""The catalog's artist input: its suggestions (styles:artist-suggest) and the filter it feeds."""

import pytest
from django.urls import reverse

from marketplace.styles.models import Style

CATALOG = reverse("styles:catalog")
SUGGEST = reverse("styles:artist-suggest")
HTMX = {"HX-Request": "true"}


def suggested(client, typed):
    response = client.get(SUGGEST, {"q": typed}, headers=HTMX)
    assert response.status_code == 200
    return [artist.username for artist in response.context["artists"]]


def listed(client, **params):
    response = client.get(CATALOG, params)
    assert response.status_code == 200
    return sorted(style.name for style in response.context["page"])


@pytest.fixture
def people(make_user, make_style):
    lena = make_user(username="lena", display_name="Lena Marsh")
    marlen = make_user(username="marlen", display_name="Marlen Oto")
    quiet = make_user(username="lenny", display_name="Lenny Failed")
    make_style(name="Harbour", artist=lena)
    make_style(name="Neon", artist=marlen)
    make_style(name="Broken", artist=quiet, training_status=Style.Status.FAILED)
    return {"lena": lena, "marlen": marlen, "lenny": quiet}


def test_suggests_artists_with_live_styles_by_handle_or_name_starting_ones_first(client, people):
    assert suggested(client, "len") == ["lena", "marlen"]
    assert suggested(client, "  MARSH ") == ["lena"]
    assert suggested(client, "oto") == ["marlen"]
    assert suggested(client, "failed") == []
    assert suggested(client, "") == []


def test_suggests_at_most_ten(client, make_user, make_style):
    for n in range(12):
        make_style(artist=make_user(username=f"ink{n:02d}", display_name=f"Ink {n:02d}"))

    assert suggested(client, "ink") == [f"ink{n:02d}" for n in range(10)]


def test_the_fragment_is_escaped_datalist_options(client, make_user, make_style):
    make_style(artist=make_user(username="ana", display_name='<b>Ana</b> "x"'))

    html = client.get(SUGGEST, {"q": "an"}, headers=HTMX).content.decode()

    assert html.strip() == '<option value="ana">&lt;b&gt;Ana&lt;/b&gt; &quot;x&quot;</option>'
    assert client.get(SUGGEST, headers=HTMX).content.decode().strip() == ""


def test_the_page_without_htmx_links_each_artist_to_their_styles(client, people):
    html = client.get(SUGGEST, {"q": "len"}).content.decode()

    assert "<html" in html
    assert f'href="{CATALOG}?artist=lena">Lena Marsh</a>' in html
    assert f'href="{CATALOG}?artist=marlen">Marlen Oto</a>' in html
    assert "<option" not in html
    assert "No artist with live styles goes by “nobody”." in client.get(SUGGEST, {"q": "nobody"}).content.decode()


def test_catalog_filters_by_handle_and_still_by_id(client, people):
    assert listed(client, artist="lena") == ["Harbour"]
    assert listed(client, artist="MARLEN") == ["Neon"]
    assert listed(client, artist=str(people["lena"].pk)) == ["Harbour"]
    assert listed(client, artist_id=str(people["marlen"].pk)) == ["Neon"]
    assert listed(client) == ["Harbour", "Neon"]


def test_the_input_shows_the_artist_by_handle_with_its_suggestion_wiring(client, people):
    html = client.get(CATALOG, {"artist_id": people["lena"].pk}).content.decode()

    assert 'name="artist" value="lena"' in html
    assert f'hx-get="{SUGGEST}"' in html
    assert 'list="artist-suggestions"' in html
    assert '<datalist id="artist-suggestions"></datalist>' in html
    assert '<select name="artist' not in html
    assert html.count("<option") == 4  # the sort's choices only, no option per artist


def test_a_handle_of_digits_is_that_artist_not_an_id(client, people, make_user, make_style):
    digits = make_user(username=str(people["lena"].pk))
    make_style(name="Digits", artist=digits)

    assert listed(client, artist=str(people["lena"].pk)) == ["Digits"]
    assert listed(client, artist_id=str(people["marlen"].pk)) == ["Neon"]


@pytest.mark.parametrize("value", ["lenny", "nobody", "99999999999999", "²", "<script>"])
def test_an_unknown_artist_lists_nothing_and_says_what_to_do(client, people, value):
    response = client.get(CATALOG, {"artist": value})

    assert response.status_code == 200
    assert list(response.context["page"]) == []
    html = response.content.decode()
    assert "No artist with live styles goes by" in html
    assert "Pick one of the suggestions, or leave it empty." in html
    if value == "<script>":
        assert "goes by “&lt;script&gt;”" in html


def test_catalog_queries_do_not_grow_with_artists(client, make_user, make_style, django_assert_max_num_queries):
    def page_queries(params):
        with django_assert_max_num_queries(5) as captured:
            assert client.get(CATALOG, params).status_code == 200
        return len(captured)

    lena = make_user(username="lena")
    make_style(artist=lena)
    few = (page_queries({}), page_queries({"artist": "lena"}))
    for n in range(60):
        make_style(artist=make_user(username=f"artist{n}"))

    assert (page_queries({}), page_queries({"artist": "lena"})) == few
