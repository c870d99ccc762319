"""What every public page owes a browser, a crawler and a screen reader: HEAD answered like GET, the page's
language on <html>, a meta description of its own, and headings that do not skip a level."""

import re

import pytest
from django.urls import reverse

from marketplace.core.testing import public_image


@pytest.fixture
def pages(style, artist, make_generation):
    style.description = "Loose ink washes on wet paper, herons and reeds."
    style.save(update_fields=["description"])
    image = public_image(make_generation, prompt="a heron at dusk")
    return {
        "home": reverse("home"),
        "catalog": reverse("styles:catalog"),
        "feed": reverse("community:feed"),
        "style": style.get_absolute_url(),
        "image": image.get_absolute_url(),
        "artist": reverse("community:artist", args=[artist.username]),
    }


def description(html: str) -> str:
    return re.search(r'<meta name="description" content="([^"]*)">', html).group(1)


def test_head_is_answered_like_get_without_a_body(client, pages):
    for name, url in pages.items():
        get, head = client.get(url), client.head(url)
        assert head.status_code == get.status_code == 200, name
        assert head.content == b"" and head["Content-Type"] == get["Content-Type"], name


def test_html_lang_follows_the_active_language(client, pages, settings):
    assert '<html lang="en"' in client.get(pages["home"]).content.decode()
    settings.LANGUAGE_CODE = "de"
    assert '<html lang="de"' in client.get(pages["catalog"]).content.decode()


def test_every_public_page_describes_itself(client, pages):
    described = {name: description(client.get(url).content.decode()) for name, url in pages.items()}

    assert described["style"] == "Loose ink washes on wet paper, herons and reeds."
    assert described["image"] == "a heron at dusk, in the Ink Wash style"
    assert "Mira Okafor" in described["artist"]
    assert all(described.values()) and len(set(described.values())) == len(described), described


def test_a_style_without_a_description_falls_back_to_the_site_description(client, make_style):
    bare = make_style(name="Plain", description="")
    assert description(client.get(bare.get_absolute_url()).content.decode()).startswith("Atelier:")


@pytest.mark.parametrize("view", ["cards", "table"])
def test_the_catalog_headings_go_down_one_level_at_a_time(client, style, view):
    html = client.get(reverse("styles:catalog"), {"view": view}).content.decode()
    levels = [int(level) for level in re.findall(r"<h([1-6])\b", html)]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels


def test_the_header_has_a_menu_button_for_phones_that_controls_the_links(client, pages, user):
    html = client.get(pages["home"]).content.decode()
    button = re.search(r"<button[^>]*class=\"menu-toggle[^>]*>", html).group(0)
    # Hidden until static/js/atelier.js runs: without JavaScript the links are simply there.
    assert 'aria-expanded="false"' in button and 'aria-controls="site-menu"' in button and " hidden" in button
    assert re.search(r'<ul id="site-menu" class="site-menu">\s*<li><a href="/styles/">', html)
    assert 'id="token-badge"' not in html

    client.force_login(user)
    html = client.get(pages["home"]).content.decode()
    # The balance and the bell stay in the bar, beside the button, not in the menu.
    quick = html[html.index('<ul class="site-quick">'):html.index('<ul id="site-menu"')]
    assert 'id="token-badge"' in quick and 'id="notification-bell"' in quick and "menu-toggle" in quick
