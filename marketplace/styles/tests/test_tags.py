from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace.generations.models import GenerationTag
from marketplace.styles.models import Style, Tag

TAGS = reverse("styles:tags")
SUGGEST = reverse("styles:tag-suggest")


def counts(client):
    return [(tag.name, tag.style_count) for tag in client.get(TAGS).context["page"]]


def suggestions(client, typed):
    response = client.get(SUGGEST, {"q": typed})
    assert response.status_code == 200
    return [value for value, _ in response.context["suggestions"]]


def test_tags_page_counts_live_styles_most_used_first(client, make_style, make_generation):
    make_style(tags=["ink", "portrait"])
    make_style(tags=["ink", "watercolor"])
    make_style(tags=["ink", "portrait"])
    make_style(tags=["oil"], training_status=Style.Status.PENDING)
    make_style(tags=["neon"], deleted_at=timezone.now())
    prompt_only = Tag.objects.create(name="fox")
    GenerationTag.objects.create(generation=make_generation(), tag=prompt_only)

    response = client.get(TAGS)

    # make_generation's own style ("Ink Wash") carries ink and monochrome.
    assert counts(client) == [("ink", 4), ("portrait", 2), ("monochrome", 1), ("watercolor", 1)]
    html = response.content.decode()
    assert '<a class="tag" href="/styles/?tags=portrait">portrait</a>' in html
    assert '<td class="numeric">4</td>' in html
    for unused in ("oil", "neon", "fox"):
        assert f">{unused}<" not in html


def test_tag_counts_follow_styles_being_added_retagged_and_deleted(client, make_style):
    first = make_style(tags=["ink", "portrait"])
    second = make_style(tags=["ink"])
    assert counts(client) == [("ink", 2), ("portrait", 1)]

    make_style(tags=["portrait", "oil"])
    assert counts(client) == [("ink", 2), ("portrait", 2), ("oil", 1)]

    second.tags.set([Tag.objects.get(name="oil")])
    assert counts(client) == [("oil", 2), ("portrait", 2), ("ink", 1)]

    Style.objects.filter(pk=first.pk).update(deleted_at=timezone.now())
    assert counts(client) == [("oil", 2), ("portrait", 1)]

    second.delete()
    assert counts(client) == [("oil", 1), ("portrait", 1)]


def test_tags_page_empty_state(client, db):
    assert "No style in the catalog has a tag yet." in client.get(TAGS).content.decode()


def test_tags_page_htmx_fragment_and_query_count(client, make_style, django_assert_max_num_queries):
    def queries_for(tag_count):
        Style.objects.all().delete()
        for n in range(tag_count):
            make_style(tags=[f"tag{n:03d}", "shared"])
        with CaptureQueriesContext(connection) as queries:
            client.get(TAGS)
        return len(queries)

    assert queries_for(5) == queries_for(50)
    with django_assert_max_num_queries(2):
        response = client.get(TAGS, {"page": 1}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.strip().startswith('<section id="tag-list"') and "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_suggest_prefix_matches_before_contains_matches(client, make_style):
    make_style(tags=["watercolor", "fine watercolor", "water", "ink"])
    make_style(tags=["watercolor", "saltwater"])

    assert suggestions(client, "wat") == ["watercolor", "water", "fine watercolor", "saltwater"]
    assert suggestions(client, "  WATER  ") == ["watercolor", "water", "fine watercolor", "saltwater"]


def test_suggest_completes_the_last_term_of_a_list(client, make_style):
    make_style(tags=["watercolor", "water", "portrait"])

    assert suggestions(client, "portrait, Wat") == ["portrait, water", "portrait, watercolor"]
    assert suggestions(client, "water, wat") == ["water, watercolor"]
    assert suggestions(client, "portrait,") == []


def test_suggest_offers_only_tags_of_live_styles_at_most_ten(client, make_style):
    make_style(tags=[f"ink{n:02d}" for n in range(12)])
    make_style(tags=["inkling"], training_status=Style.Status.FAILED)

    found = suggestions(client, "ink")

    assert found == [f"ink{n:02d}" for n in range(10)]


def test_suggest_fragment_is_datalist_options(client, make_style):
    make_style(tags=["portrait", "pastel"])

    html = client.get(SUGGEST, {"q": "ink, p"}).content.decode()

    assert '<option value="ink, pastel">pastel</option>' in html
    assert '<option value="ink, portrait">portrait</option>' in html
    assert "<html" not in html
    assert client.get(SUGGEST).content.decode().strip() == ""
