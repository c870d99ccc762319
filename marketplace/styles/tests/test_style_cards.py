"""The style card's filters print what reverse() and {% blocktranslate %} would, only cheaper."""

import pytest
from django.template import engines
from django.urls import reverse, set_script_prefix

from marketplace.styles.models import Tag
from marketplace.styles.templatetags import style_cards


def rendered(source, **context):
    return engines["django"].from_string("{% load i18n style_cards %}" + source).render(context)


@pytest.fixture
def prefixed():
    set_script_prefix("/atelier/")
    yield "/atelier/"
    set_script_prefix("/")


@pytest.mark.parametrize("username", ["lena", "o.t+o@x-y_z", "zoë"])
def test_urls_equal_get_absolute_url_also_under_a_script_prefix(make_user, make_style, username, prefixed):
    style = make_style(artist=make_user(username=username), name="Ink Fox 2")

    assert style_cards.style_url(style) == style.get_absolute_url() == f"/atelier/styles/{style.slug}/"
    assert style_cards.artist_url(style.artist) == style.artist.get_absolute_url()
    set_script_prefix("/")
    assert style_cards.style_url(style) == style.get_absolute_url() == f"/styles/{style.slug}/"
    assert style_cards.artist_url(style.artist) == style.artist.get_absolute_url()


def test_tag_url_is_the_catalog_filtered_by_the_tag(db):
    tag = Tag(name="black & white/ink")

    assert style_cards.tag_url(tag) == f"{reverse('styles:catalog')}?tags=black%20%26%20white/ink"
    assert rendered("{{ tag|tag_url }}", tag=tag) == rendered(
        "{% url 'styles:catalog' %}?tags={{ tag.name|urlencode }}", tag=tag
    )


@pytest.mark.parametrize("price", [1, 7, 100])
def test_texts_equal_the_blocktranslate_they_replace(make_style, price):
    style = make_style(name='Ink "&" <Fox>', price_per_generation=price)

    assert rendered("{{ price|price_tokens }}", price=price) == rendered(
        "{% blocktranslate count price=price %}{{ price }} token{% plural %}{{ price }} tokens"
        "{% endblocktranslate %}",
        price=price,
    )
    assert rendered("{{ style|cover_alt }}", style=style) == rendered(
        "{% blocktranslate with name=style.name %}A training image of the {{ name }} style{% endblocktranslate %}",
        style=style,
    )
    assert rendered("{{ style|no_cover_label }}", style=style) == rendered(
        "{% blocktranslate with name=style.name %}{{ name }} has no sample image{% endblocktranslate %}", style=style
    )
