"""The card filters print what get_absolute_url(), {% url %} and {% blocktranslate %} would."""

from django.urls import reverse
from django.utils import translation

from marketplace.community.templatetags import generation_cards


def test_card_urls_are_the_reversed_ones(make_generation):
    generation = make_generation()
    assert generation_cards.image_url(generation) == generation.get_absolute_url()
    assert generation_cards.like_url(generation) == reverse("community:like", args=[generation.pk])
    # ids that share digits with the pattern's placeholder are not mangled
    generation.pk = 918
    assert generation_cards.image_url(generation) == "/images/918/"


def test_card_texts_are_the_templates_messages(make_generation):
    generation = make_generation(prompt="a heron")
    with translation.override("en"):
        assert generation_cards.image_alt(generation) == f"a heron, in the {generation.style.name} style"
        assert generation_cards.like_count_label(1) == "1 like"
        assert generation_cards.like_count_label(3) == "3 likes"
        assert generation_cards.comment_count_label(0) == "0 comments"
        assert generation_cards.likes_label(1) == "like"
