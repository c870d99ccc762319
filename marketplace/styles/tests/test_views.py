import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace.community.models import Like
from marketplace.generations.models import Generation
from marketplace.styles.models import Style, TrainingImage

CATALOG = reverse("styles:catalog")
STUDIO = reverse("styles:studio")


def add_cover(style, position=0):
    return TrainingImage.objects.create(
        style=style, image=f"training/{style.slug}-{position}.png", width=640, height=480, position=position
    )


def listed_names(response):
    return [style.name for style in response.context["page_obj"]]


def test_catalog_lists_only_live_styles(client, make_style):
    make_style(name="Live Ink")
    make_style(name="Pending Pastel", training_status=Style.Status.PENDING)
    make_style(name="Training Tempera", training_status=Style.Status.TRAINING)
    make_style(name="Failed Fresco", training_status=Style.Status.FAILED)
    make_style(name="Deleted Dye", deleted_at=timezone.now())

    response = client.get(CATALOG)

    assert response.status_code == 200
    assert listed_names(response) == ["Live Ink"]
    html = response.content.decode()
    assert "Live Ink" in html
    for hidden in ("Pending Pastel", "Training Tempera", "Failed Fresco", "Deleted Dye"):
        assert hidden not in html


def test_catalog_card_shows_price_artist_tags_and_cover(client, make_style):
    style = make_style(name="Ink Wash", price_per_generation=7, tags=["ink"])
    add_cover(style, position=1)
    add_cover(style, position=0)

    html = client.get(CATALOG).content.decode()

    assert f'href="{style.get_absolute_url()}"' in html
    assert "Mira Okafor" in html
    assert "7 tokens / image" in html
    assert f'href="{CATALOG}?tags=ink"' in html
    assert f'src="/media/training/{style.slug}-0.png"' in html and f"{style.slug}-1.png" not in html
    assert 'loading="lazy"' in html and 'width="640" height="480"' in html


def test_catalog_card_without_images_shows_initial_placeholder(client, make_style):
    make_style(name="quiet lines")

    html = client.get(CATALOG).content.decode()

    assert 'class="card-placeholder"' in html
    assert ">Q</div>" in html


def test_catalog_paginates_twenty_per_page_newest_first(client, make_style):
    for n in range(25):
        make_style(name=f"Style {n:02d}")

    first = client.get(CATALOG)
    second = client.get(CATALOG, {"page": 2})

    assert listed_names(first) == [f"Style {n:02d}" for n in range(24, 4, -1)]
    assert listed_names(second) == [f"Style {n:02d}" for n in range(4, -1, -1)]
    assert second.content.decode().count('class="style-card"') == 5
    assert "Page 2 of 2" in second.content.decode()


def test_catalog_htmx_request_gets_only_the_list_fragment(client, make_style):
    for n in range(21):
        make_style(name=f"Style {n}")

    response = client.get(CATALOG, {"page": 2}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert "<html" not in html
    assert html.strip().startswith('<section id="style-list"')
    assert 'hx-get="?page=1"' in html and 'href="?page=1"' in html and 'hx-push-url="true"' in html
    assert "HX-Request" in response["Vary"]


def test_catalog_history_restore_gets_the_full_page(client, make_style):
    make_style()

    response = client.get(CATALOG, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})

    assert "<html" in response.content.decode()


def test_catalog_tags_filter_means_all_of_them(client, make_style):
    make_style(name="Ink and mono", tags=["ink", "monochrome"])
    make_style(name="Ink only", tags=["ink"])
    make_style(name="Mono only", tags=["monochrome"])
    make_style(name="Ink mono water", tags=["ink", "monochrome", "watercolor"])
    make_style(name="Pending ink mono", tags=["ink", "monochrome"], training_status=Style.Status.PENDING)

    assert listed_names(client.get(CATALOG, {"tags": "ink,monochrome"})) == ["Ink mono water", "Ink and mono"]
    assert listed_names(client.get(CATALOG, {"tags": " INK , monochrome,,ink"})) == ["Ink mono water", "Ink and mono"]
    assert listed_names(client.get(CATALOG, {"tags": "monochrome"})) == ["Ink mono water", "Mono only", "Ink and mono"]
    empty = client.get(CATALOG, {"tags": "ink,oil"})
    assert listed_names(empty) == []
    assert "No style has all of these tags yet" in empty.content.decode()


def test_catalog_paging_links_keep_the_tag_filter(client, make_style):
    for _ in range(21):
        make_style(tags=["ink"])

    html = client.get(CATALOG, {"tags": "ink"}).content.decode()

    assert 'href="?tags=ink&amp;page=2"' in html


def test_catalog_query_count_does_not_grow_with_styles(client, make_style):
    def queries_for(count):
        Style.objects.all().delete()
        for n in range(count):
            add_cover(make_style(tags=["ink", f"tag{n}"]))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(CATALOG).status_code == 200
        return len(queries)

    assert queries_for(5) == queries_for(25) == 4


def test_detail_shows_prices_licence_tags_and_counts(client, make_style, make_user):
    style = make_style(
        name="Ink Wash", price_per_generation=5, commercial_use=False, credit_required=True, tags=["ink"]
    )
    for position in range(6):
        add_cover(style, position)
    fan = make_user()
    done = Generation.objects.create(
        user=fan, style=style, prompt="fox", aspect_ratio="1:1", seed=1, cost=5, status=Generation.Status.COMPLETED
    )
    Generation.objects.create(user=fan, style=style, prompt="owl", aspect_ratio="1:1", seed=2, cost=5)
    Like.objects.create(user=fan, generation=done)
    Like.objects.create(user=style.artist, generation=done)

    response = client.get(style.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert "5 tokens" in html and "10 tokens" in html and "20 tokens" in html
    assert "Personal use only" in html and "Credit the artist" in html
    assert f'href="{CATALOG}?tags=ink"' in html
    assert "1 image made" in html and "2 likes" in html
    assert html.count("Training image ") == 4
    assert f'href="{style.artist.get_absolute_url()}"' in html
    assert "Not listed" not in html


def test_detail_licence_words_for_permissive_style(client, make_style):
    style = make_style(commercial_use=True, credit_required=False)

    html = client.get(style.get_absolute_url()).content.decode()

    assert "Commercial use allowed" in html and "No credit required" in html


UNLISTED = [
    {"training_status": Style.Status.PENDING},
    {"training_status": Style.Status.TRAINING},
    {"training_status": Style.Status.FAILED, "failure_reason": "Too few usable images"},
    {"deleted_at": timezone.now()},
]


@pytest.mark.parametrize("fields", UNLISTED)
def test_unlisted_style_is_404_for_anonymous_and_other_users(client, make_style, make_user, fields):
    style = make_style(**fields)

    assert client.get(style.get_absolute_url()).status_code == 404
    client.force_login(make_user())
    assert client.get(style.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("fields", UNLISTED)
def test_unlisted_style_is_visible_to_owner_and_staff(client, make_style, make_user, artist, fields):
    style = make_style(**fields)

    for viewer in (artist, make_user(is_staff=True)):
        client.force_login(viewer)
        response = client.get(style.get_absolute_url())
        html = response.content.decode()
        assert response.status_code == 200
        assert "Not listed" in html
        if style.deleted_at:
            assert "This style was deleted" in html
        else:
            assert style.get_training_status_display() in html
        if style.failure_reason:
            assert "Too few usable images" in html


def test_studio_requires_login(client):
    response = client.get(STUDIO)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_studio_lists_only_own_undeleted_styles(client, make_style, make_user, artist):
    mine = make_style(name="My Ink", price_per_generation=9)
    make_style(name="My Draft", training_status=Style.Status.PENDING)
    make_style(name="My Deleted", deleted_at=timezone.now())
    make_style(name="Their Style", artist=make_user())
    buyer = make_user()
    statuses = [Generation.Status.COMPLETED, Generation.Status.COMPLETED, Generation.Status.FAILED]
    for seed, status in enumerate(statuses):
        Generation.objects.create(
            user=buyer, style=mine, prompt="fox", aspect_ratio="1:1", seed=seed, cost=9, status=status
        )
    client.force_login(artist)

    response = client.get(STUDIO)

    html = response.content.decode()
    assert [s.name for s in response.context["styles"]] == ["My Draft", "My Ink"]
    assert "Their Style" not in html and "My Deleted" not in html
    assert "9 tokens" in html and "Pending" in html
    rows = {s.name: s.generation_count for s in response.context["styles"]}
    assert rows == {"My Ink": 2, "My Draft": 0}
    assert "<td>2</td>" in html


def test_studio_empty_state(client, user):
    client.force_login(user)

    html = client.get(STUDIO).content.decode()

    assert "You have no styles yet" in html
