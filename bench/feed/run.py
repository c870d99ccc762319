"""The feed at 1,000 public images: time and query count per page, in-process with Django's test Client.

Usage, from the repository root, against the database DATABASE_URL names (migrated by this script):

    createdb -h 127.0.0.1 -U postgres atelier_h1bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atelier_h1bench .venv/bin/python bench/feed/run.py
    ... bench/feed/run.py --requests 50 --reseed --no-record

Seeding (skipped when the database already holds the set; --reseed empties it first) writes with bulk_create:
12 people (4 artists with 2 styles each), 1,000 public completed images spread over 60 days with 1-3 of 12 prompt
tags each, about 3,000 likes (a third of them older than a week, which Top this week must not count), 2,000
comments, and follows. Then each page is requested a few times to warm up and --requests times measured: the
median and p95 wall time of the whole request (URL routing, middleware, session, SQL, template), and the number
of queries of one more request. The table is printed and, unless --no-record, written to docs/performance.md
under "Feed at 1,000 images" (replacing an earlier run's section). Target (issue 11): under 200 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.django_env import setup_django as bench_django  # noqa: E402
from bench.report import REPORT, write_section  # noqa: E402

HEADING = "## Feed at 1,000 images"
IMAGES = 1_000
LIKES = 3_000
COMMENTS = 2_000
TAGS = [f"tag{n:02d}" for n in range(12)]
TARGET_MS = 200
COMMAND = "DATABASE_URL=postgres://postgres@127.0.0.1:5432/atelier_h1bench .venv/bin/python bench/feed/run.py"


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    if not os.environ.get("DATABASE_URL"):
        sys.exit("bench/feed/run.py needs DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/atelier_h1bench)")
    bench_django()


def is_seeded() -> bool:
    from marketplace.generations.models import Generation

    return Generation.objects.public().count() >= IMAGES


def seed(rng: random.Random) -> None:
    from django.db import connection
    from django.utils import timezone

    from marketplace.accounts.models import User
    from marketplace.community.models import Comment, Follow, Like
    from marketplace.community.services import counters_recount
    from marketplace.generations.models import Generation, GenerationTag
    from marketplace.styles.counters import styles_recount
    from marketplace.styles.models import Style, Tag

    now = timezone.now()
    people = [
        User(username=f"artist{n}", email=f"artist{n}@bench.invalid", role=User.Role.ARTIST, display_name=f"Artist {n}")
        for n in range(4)
    ] + [User(username=f"member{n}", email=f"member{n}@bench.invalid", display_name=f"Member {n}") for n in range(8)]
    for person in people:
        person.set_unusable_password()
    people = User.objects.bulk_create(people)
    artists = people[:4]
    styles = Style.objects.bulk_create(
        Style(
            artist=artist, name=f"Style {artist.pk}-{n}", slug=f"style-{artist.pk}-{n}",
            training_status=Style.Status.COMPLETED, training_progress=100, model_path="models/bench.json",
            price_per_generation=5, commercial_use=True, credit_required=False, trained_at=now,
        )
        for artist in artists for n in range(2)
    )
    tags = Tag.objects.bulk_create([Tag(name=name) for name in TAGS])
    images = Generation.objects.bulk_create(
        Generation(
            user=rng.choice(people), style=rng.choice(styles), prompt=f"a benchmark scene {n}", aspect_ratio="1:1",
            seed=n, cost=5, status=Generation.Status.COMPLETED, progress=100, image="bench/shared.png",
            visibility=Generation.Visibility.PUBLIC, started_at=now, finished_at=now,
        )
        for n in range(IMAGES)
    )
    GenerationTag.objects.bulk_create(
        GenerationTag(generation=image, tag=tag) for image in images for tag in rng.sample(tags, rng.randint(1, 3))
    )
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < LIKES:
        pairs.add((rng.randrange(len(people)), rng.randrange(IMAGES)))
    Like.objects.bulk_create(Like(user=people[u], generation=images[g]) for u, g in pairs)
    Comment.objects.bulk_create(
        Comment(user=rng.choice(people), generation=rng.choice(images), body="A benchmark comment.")
        for _ in range(COMMENTS)
    )
    Follow.objects.bulk_create(
        Follow(follower=people[-1], following=followed) for followed in (artists[0], people[5], people[6])
    )
    with connection.cursor() as cursor:
        # bulk_create stamps every row with (almost) the same instant: spread images over 60 days in id order,
        # and likes over 14 days, so a third of them fall outside Top this week's 7 days.
        span = timedelta(days=60) / IMAGES
        cursor.execute(
            f"UPDATE {Generation._meta.db_table} SET created_at = %s - (%s - id) * %s",
            [now, images[-1].pk, span],
        )
        cursor.execute(
            f"UPDATE {Like._meta.db_table} SET created_at = %s - (id %% 21) * %s", [now, timedelta(hours=16)]
        )
    # Likes and comments went in past the services: set the images' counters from them, as a seed must.
    counters_recount()
    styles_recount()  # the styles' generation and like counters too
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(client, url: str, *, requests: int, headers: dict | None = None) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(5):
        assert client.get(url, headers=headers).status_code == 200, url
    times, cpu = [], []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, url
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    cards = response.content.decode().count('class="generation-card"')
    sql_ms = sum(float(query["time"]) for query in queries.captured_queries) * 1000
    return {
        "median": statistics.median(times), "p95": percentile(times, 95), "cpu": statistics.median(cpu),
        "queries": len(queries), "sql": sql_ms, "cards": cards,
    }


def run(requests: int) -> list[tuple[str, dict]]:
    from django.test import Client

    from marketplace.accounts.models import User
    from marketplace.core.pagination import encode_cursor
    from marketplace.generations.models import Generation

    newest = Generation.objects.public().order_by("-created_at", "-id")
    deep = encode_cursor(newest[IMAGES - 40])  # page 49 of 50
    visitor, member = Client(), Client()
    member.force_login(User.objects.get(username="member7"))
    pages = [
        ("Latest, visitor", visitor, "/feed/", None),
        ("Latest, signed in", member, "/feed/", None),
        ("Latest, deep cursor (page 49), visitor", visitor, f"/feed/?cursor={deep}", None),
        ("Latest, deep cursor (page 49), htmx fragment, signed in", member, f"/feed/?cursor={deep}",
         {"HX-Request": "true"}),
        ("Latest, tags=tag01 & tags_not=tag02, visitor", visitor, "/feed/?tags=tag01&tags_not=tag02", None),
        ("Following, signed in", member, "/feed/?tab=following", None),
        ("Top this week, visitor", visitor, "/feed/?tab=top", None),
    ]
    results = []
    for label, client, url, headers in pages:
        result = measure(client, url, requests=requests, headers=headers)
        print(f"{label:58} {result['median']:7.1f} ms median {result['p95']:7.1f} ms p95 {result['cpu']:6.1f} ms CPU "
              f"{result['queries']:2d} queries ({result['sql']:5.1f} ms SQL) {result['cards']:2d} cards", flush=True)
        results.append((label, result))
    return results


def section(results: list[tuple[str, dict]], requests: int) -> str:
    from django.db import connection

    worst = max(result["p95"] for _, result in results)
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    rows = "\n".join(
        f"| {label} | {r['cards']} | {r['queries']} | {r['sql']:.1f} | {r['cpu']:.1f} | {r['median']:.1f} "
        f"| {r['p95']:.1f} |"
        for label, r in results
    )
    version = connection.cursor().connection.info.server_version if connection.vendor == "postgresql" else ""
    database = f"PostgreSQL {version // 10000}.{version % 10000}" if version else connection.vendor
    return f"""{HEADING}

Command: `{COMMAND}` (`--reseed` to seed again, `--no-record` to leave this file alone).

Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()} ({os.cpu_count()} cores, shared), {database},
Python {platform.python_version()}, DEBUG off, in-process through Django's test Client (no network, one request
at a time). Data: 1,000 public images by 12 people in 8 styles over 60 days, ~{LIKES:,} likes (a third older
than 7 days), {COMMENTS:,} comments. Each page warmed with 5 requests, then {requests} timed; queries and their SQL
time are those of one more request (a signed-in request includes the session, the user and the bell's unread
count). CPU ms is this process's CPU time per request (Python: routing, ORM, templates), which other load on the
machine hardly changes; wall times rise with that load (load average at the end of this run: {load}).

| page | cards | queries | SQL ms | CPU ms (median) | median ms | p95 ms |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
{rows}

Target (issue 11): under {TARGET_MS} ms at 1,000 images — {"met" if worst < TARGET_MS else "NOT met"}
(worst p95 {worst:.1f} ms). The query count does not depend on the page or the number of images: one query for the
cards (user, style and its artist joined; like and comment counts from the image's counters, the viewer's like
as a subquery) and, on
a deep page, no OFFSET: the cursor is a range on (created_at, id) (marketplace/community/tests/test_feed.py
proves the same count at 5 and 50 cards for every tab).
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page (default 50)")
    parser.add_argument("--reseed", action="store_true", help="empty the database and seed it again")
    parser.add_argument("--no-record", action="store_true", help="print only; leave docs/performance.md alone")
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if args.reseed or not is_seeded():
        call_command("flush", interactive=False, verbosity=0)
        started = time.perf_counter()
        seed(random.Random(11))
        print(f"seeded {IMAGES} images in {time.perf_counter() - started:.1f} s", flush=True)
    results = run(args.requests)
    text = section(results, args.requests)
    if not args.no_record:
        write_section(HEADING, text)
        print(f"written to {REPORT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
