from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace.community.models import Comment, Like
from marketplace.core.testing import public_image
from marketplace.generations.models import Generation

FEED = reverse("community:feed")


def shown_prompts(response):
    return [generation.prompt for generation in response.context["page_obj"]]


def test_feed_shows_only_public_completed_images(client, make_generation, make_style):
    public_image(make_generation, prompt="shared heron")
    public_image(make_generation, prompt="private owl", visibility=Generation.Visibility.PRIVATE)
    public_image(make_generation, prompt="failed fox", status=Generation.Status.FAILED, image="")
    public_image(make_generation, prompt="queued quail", status=Generation.Status.QUEUED, image="")
    gone = make_style(name="Withdrawn", deleted_at=timezone.now())
    public_image(make_generation, prompt="orphaned otter", style=gone)

    response = client.get(FEED)

    html = response.content.decode()
    assert shown_prompts(response) == ["shared heron"]
    assert "shared heron" in html
    for hidden in ("private owl", "failed fox", "queued quail", "orphaned otter"):
        assert hidden not in html


def test_feed_card_shows_counts_author_style_and_link(client, make_generation, make_user, user, style):
    image = public_image(make_generation, prompt="shared heron", aspect_ratio="1:2")
    fans = [make_user(), make_user()]
    for fan in fans:
        Like.objects.create(user=fan, generation=image)
    Comment.objects.create(user=fans[0], generation=image, body="Lovely")

    html = client.get(FEED).content.decode()

    assert "2 likes" in html and "1 comment" in html
    assert f'href="{image.get_absolute_url()}"' in html
    assert f'href="{style.get_absolute_url()}"' in html and f'href="{user.get_absolute_url()}"' in html
    assert 'src="/media/generations/out.png"' in html and 'width="512" height="1024"' in html
    assert 'loading="lazy"' in html


def test_feed_pages_newest_first_with_load_more(client, make_generation):
    for n in range(25):
        public_image(make_generation, prompt=f"image {n:02d}")

    first = client.get(FEED)
    second = client.get(FEED, {"page": 2})

    assert shown_prompts(first) == [f"image {n:02d}" for n in range(24, 4, -1)]
    assert shown_prompts(second) == [f"image {n:02d}" for n in range(4, -1, -1)]
    first_html = first.content.decode()
    assert 'href="?page=2"' in first_html and 'hx-get="?page=2"' in first_html
    assert 'hx-swap="outerHTML"' in first_html and "Load more" in first_html
    assert "Load more" not in second.content.decode()


def test_feed_htmx_request_gets_only_the_list_fragment(client, make_generation):
    for n in range(21):
        public_image(make_generation, prompt=f"image {n}")

    response = client.get(FEED, {"page": 2}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert "<html" not in html
    assert html.strip().startswith('<div id="feed-list"')
    assert "image 0" in html and "image 20" not in html
    assert "HX-Request" in response["Vary"]


def test_feed_empty_state(client, db):
    assert "No shared images yet" in client.get(FEED).content.decode()


def test_feed_query_count_does_not_grow_with_images(client, make_generation, make_user):
    fan = make_user()

    def queries_for(count):
        Generation.objects.all().delete()
        for n in range(count):
            image = public_image(make_generation, prompt=f"image {n}")
            Like.objects.create(user=fan, generation=image)
            Comment.objects.create(user=fan, generation=image, body="Nice")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(FEED).status_code == 200
        return len(queries)

    assert queries_for(3) == queries_for(25) == 2
