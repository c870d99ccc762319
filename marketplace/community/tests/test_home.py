from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace.community.tests.rows import add_like
from marketplace.core.testing import public_image
from marketplace.generations.models import Generation
from marketplace.styles.models import Style, TrainingImage

HOME = reverse("home")


def test_home_shows_live_styles_and_public_images(client, make_style, make_generation):
    live = make_style(name="Live Ink", tags=["ink"])
    make_style(name="Pending Pastel", training_status=Style.Status.PENDING)
    shared = public_image(make_generation, prompt="a heron at dawn", style=live)
    add_like(user=shared.user, generation=shared)
    make_generation(prompt="a private owl", status=Generation.Status.COMPLETED, image="generations/owl.png")

    response = client.get(HOME)

    html = response.content.decode()
    assert response.status_code == 200
    assert "A living marketplace for AI art styles" in html
    assert "Live Ink" in html and "Pending Pastel" not in html
    assert "a heron at dawn" in html and "a private owl" not in html
    assert f'href="{shared.get_absolute_url()}"' in html
    assert 'data-testid="like-count">1</span>' in html and "0 comments" in html
    assert f'href="{reverse("account_signup")}"' in html


def test_home_empty_states(client, db):
    html = client.get(HOME).content.decode()

    assert "No style has finished training yet" in html
    assert "Nobody has shared an image yet" in html


def test_home_query_count_does_not_grow_with_styles(client, make_style, make_generation):
    def queries_for(count):
        Generation.objects.all().delete()
        Style.objects.all().delete()
        for n in range(count):
            style = make_style(tags=["ink", f"tag{n}"])
            TrainingImage.objects.create(style=style, image=f"training/{n}.png", width=64, height=64)
            public_image(make_generation, style=style)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(HOME).status_code == 200
        return len(queries)

    assert queries_for(3) == queries_for(12) == 4
