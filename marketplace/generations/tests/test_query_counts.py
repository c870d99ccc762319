"""Query budgets of the generate POST and the job-card poll (issue 14): flat in the number of prompt tags.

The POST is measured in a real transaction (transaction=True), as production runs it: the submit's
atomic block is BEGIN/COMMIT there, not the SAVEPOINT a test transaction would add. The after-commit
send goes to the background sender, as in production, and the test waits until it has published.
"""

import time
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace.generations.models import Generation, GenerationTag
from marketplace.generations.services import generation_report, generation_submit
from marketplace.jobs.models import OutboxMessage
from marketplace.styles.models import Tag

HX = {"HTTP_HX_REQUEST": "true"}
POST_BUDGET = 12
POLL_BUDGET = 3


def wait_until_sent(timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while OutboxMessage.objects.filter(sent_at__isnull=True).exists():
        assert time.monotonic() < deadline, "the background sender never published the job"
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fixed_style", [False, True], ids=["generate-page", "style-page"])
def test_the_generate_post_stays_in_budget_however_many_tags(
    client, settings, rabbitmq, user, trained_style, fund, fixed_style
):
    settings.OUTBOX_SEND_INLINE = False  # production: the after-commit send leaves the request thread
    fund(user, 1000)
    Tag.objects.create(name="known")  # an existing tag is reused, a new one is created
    client.force_login(user)
    counts = {}
    # The first submit reads the queue snapshot, the running average and the style list into the cache,
    # as some request does every few seconds on a live site (the snapshot lives QUEUE_SNAPSHOT_SECONDS).
    for n in (0, 1, 10):
        tags = ["known"] + [f"new{n}x{i}" for i in range(max(n - 1, 0))]
        data = {"style": trained_style.pk, "tags": ", ".join(tags), "aspect_ratio": "1:1",
                "request_key": str(uuid.uuid4()), "quoted_cost": 5}
        if fixed_style:
            data["fixed_style"] = "1"
        with CaptureQueriesContext(connection) as queries:
            response = client.post(reverse("generations:generate"), data, **HX)
        assert response.status_code == 200 and "Your balance:" in response.content.decode()
        wait_until_sent()
        generation = Generation.objects.latest("pk")
        assert sorted(generation.tags.values_list("name", flat=True)) == sorted(tags)
        counts[n] = len(queries)
        assert len(queries) <= POST_BUDGET + (3 if n == 0 else 0), "\n".join(q["sql"][:120] for q in queries)
    assert counts[1] == counts[10]
    assert GenerationTag.objects.count() == 12 and Tag.objects.filter(name="known").count() == 1


def submitted(user, style, fund, **kwargs):
    fund(user, 100)
    return generation_submit(
        user=user, style_id=style.pk, prompt_tags=["fox"], aspect_ratio="1:1", seed=9, request_key=uuid.uuid4(),
        **kwargs,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["queued", "processing", "completed"])
def test_the_job_card_poll_costs_at_most_three_queries(
    client, user, trained_style, fund, png_bytes, status, django_assert_max_num_queries
):
    ahead = submitted(user, trained_style, fund)
    generation = submitted(user, trained_style, fund)
    if status != "queued":
        generation_report(generation_id=generation.pk, status="processing", progress=40)
    if status == "completed":
        Generation.objects.filter(pk=generation.pk).update(image="generations/done.png")
        generation_report(generation_id=generation.pk, status="completed")
    client.force_login(user)
    client.get(ahead.get_absolute_url(), **HX)  # another owner's poll has already read the queue

    with django_assert_max_num_queries(POLL_BUDGET):
        response = client.get(generation.get_absolute_url(), **HX)

    body = response.content.decode()
    expected = {"queued": "Number 2 in line.", "processing": "Drawing: 40%", "completed": 'data-testid="job-actions"'}
    assert expected[status] in body
    assert response.status_code == (286 if status == "completed" else 200)
