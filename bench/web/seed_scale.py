"""Seed the web benchmark's database at a scale: 1k images to check the shape, 100k for the mission's size.

Usage, from the repository root, against a PostgreSQL server (SQLite is refused):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atelier .venv/bin/python bench/web/seed_scale.py \\
        --scale 100k [--reseed]

Only the server in DATABASE_URL is used: each scale has a database of its own, `atelier_bench_web_<scale>`,
created if missing and migrated; seeding is skipped when it already holds the full set (--reseed empties it
first). At 100k: 10,000 users (200 of them artists), 2,000 live styles, 100,000 public images, 1,000,000
likes and 200,000 comments, both with a heavy tail (a few images draw most of them), follows and
notifications. The few thousand rows that carry behaviour go through the ORM; the bulk goes in set-based
INSERT ... SELECT statements that PostgreSQL fills itself (about a minute at 100k). Balances change only
through `ledger_credit`: the signed-in benchmark users get their tokens from it. Counters are recounted from
the rows and the seed ends with VACUUM ANALYZE (autovacuum may be off, and fresh tables have no statistics:
the feed measured 91 ms instead of 7 ms without them).

Everyone's password is "bench-password" (one hash, computed once) and everyone's address is
`<username>@bench.invalid`, which is how the Locust scenario logs in.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.pgdb import create_bench_database  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "bench-password"
SHARED_IMAGE = "bench/shared.png"
SHARED_MODEL = "models/bench-shared.signature"
SIGNED_IN = 300  # buyers with tokens, for the signed-in journeys
BATCH = 2_000


@dataclass(frozen=True)
class Scale:
    images: int
    users: int
    artists: int
    styles: int
    likes: int
    comments: int
    follows: int
    tags: int = 60


SCALES = {
    "1k": Scale(images=1_000, users=400, artists=20, styles=100, likes=10_000, comments=2_000, follows=1_000),
    "100k": Scale(images=100_000, users=10_000, artists=200, styles=2_000, likes=1_000_000, comments=200_000,
                  follows=50_000),
}


def database_name(scale: str) -> str:
    return f"atelier_bench_web_{scale}"


def setup_django(database_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.web.settings"
    os.environ["EMBEDDED_WORKER"] = "false"
    import django

    django.setup()


def is_seeded(size: Scale) -> bool:
    from marketplace.community.models import Comment
    from marketplace.generations.models import Generation

    # The comments go in last but one (the recounts follow in the same transaction).
    return Generation.objects.public().count() >= size.images and Comment.objects.count() >= size.comments


def ensure_seeded(scale: str, *, reseed: bool = False) -> str:
    """The scale's database, migrated and seeded (once); returns its DATABASE_URL. Sets Django up on it."""
    size = SCALES[scale]
    database_url = create_bench_database(database_name(scale), script="the web benchmark")[0]
    setup_django(database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if reseed or not is_seeded(size):
        call_command("flush", interactive=False, verbosity=0)
        started = time.perf_counter()
        seed(size, random.Random(14))
        print(f"seeded {database_name(scale)} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    _write_shared_files()
    return database_url


def _write_shared_files() -> None:
    """One small PNG every training image and seeded generation shows, and one signature (the reference
    worker's artefact, learnt from a picture) every style draws from, so that generated jobs complete."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from PIL import Image

    from worker.signature import dump_signature, learn_signature

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (180, 120, 90)).save(buffer, "PNG")
    files = {SHARED_IMAGE: buffer.getvalue(), SHARED_MODEL: dump_signature(learn_signature([buffer.getvalue()]))}
    for path, content in files.items():
        if not default_storage.exists(path) or default_storage.open(path).read() != content:
            default_storage.delete(path)
            default_storage.save(path, ContentFile(content))


def seed(size: Scale, rng: random.Random) -> None:
    from django.db import connection, transaction

    with transaction.atomic():
        people = _people(size)
        styles = _styles(size, rng, people["artists"])
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(0.14)")  # random() in the statements below repeats run after run
            _bulk(cursor, size, people, styles)
        _recount()
        _fund(people["signed_in"])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _people(size: Scale) -> dict[str, list[int]]:
    from django.contrib.auth.hashers import make_password

    from marketplace.accounts.models import User

    password = make_password(PASSWORD)
    users = [
        User(username=f"artist{n}", email=f"artist{n}@bench.invalid", role=User.Role.ARTIST,
             display_name=f"Artist {n}", password=password)
        for n in range(size.artists)
    ] + [
        User(username=f"buyer{n}", email=f"buyer{n}@bench.invalid", password=password)
        for n in range(size.users - size.artists)
    ]
    ids = [user.pk for user in User.objects.bulk_create(users, batch_size=BATCH)]
    return {"artists": ids[:size.artists], "buyers": ids[size.artists:], "signed_in": ids[size.artists:][:SIGNED_IN],
            "everyone": ids}


def _styles(size: Scale, rng: random.Random, artists: list[int]) -> list[int]:
    from django.utils import timezone

    from marketplace.styles.models import Style, StyleTag, Tag, TrainingImage

    now = timezone.now()
    tags = Tag.objects.bulk_create([Tag(name=f"tag{n:02d}") for n in range(size.tags)])
    styles = Style.objects.bulk_create(
        [
            Style(
                artist_id=rng.choice(artists), name=f"Style {n}", slug=f"style-{n}",
                description=f"Benchmark style number {n}, drawn in a consistent manner.",
                training_status=Style.Status.COMPLETED, training_progress=100, model_path=SHARED_MODEL,
                price_per_generation=rng.randint(1, 50), commercial_use=rng.random() < 0.5,
                credit_required=rng.random() < 0.5, trained_at=now,
            )
            for n in range(size.styles)
        ],
        batch_size=BATCH,
    )
    StyleTag.objects.bulk_create(
        [StyleTag(style=style, tag=tag) for style in styles for tag in rng.sample(tags, rng.randint(1, 3))],
        batch_size=BATCH,
    )
    TrainingImage.objects.bulk_create(
        [TrainingImage(style=style, image=SHARED_IMAGE, width=64, height=64) for style in styles], batch_size=BATCH
    )
    return [style.pk for style in styles]


# Each statement draws from arrays of ids passed as parameters: %(buyers)s[1 + floor(random() * n)] is a
# uniform pick, `power(random(), 2)` in place of random() a heavy-tailed one (the first ids of the array
# draw most of the picks; the arrays are shuffled first, so that the busiest are not also the oldest).
_GENERATIONS = """
INSERT INTO generations_generation (created_at, updated_at, user_id, style_id, prompt, aspect_ratio, seed, status,
    progress, cost, image, failure_reason, visibility, started_at, finished_at, like_count, comment_count)
SELECT at, at, buyer, style, 'a benchmark scene ' || n, '1:1', n, 'completed', 100, 10, %(image)s, '', 'public',
       at, at, 0, 0
FROM (
    SELECT n, now() - (%(images)s - n) * interval '30 seconds' AS at,
           (%(buyers)s::bigint[])[1 + floor(random() * cardinality(%(buyers)s::bigint[]))::int] AS buyer,
           (%(styles)s::bigint[])[1 + floor(power(random(), 2) * cardinality(%(styles)s::bigint[]))::int] AS style
    FROM generate_series(1, %(images)s) AS n
) AS drawn ORDER BY n
"""
_GENERATION_TAGS = """
INSERT INTO generations_generationtag (generation_id, tag_id)
SELECT g.id, (%(tags)s::bigint[])[1 + (g.id * k) %% cardinality(%(tags)s::bigint[])]
FROM generations_generation AS g, generate_series(1, 1 + (g.id %% 3)::int) AS k
ON CONFLICT DO NOTHING
"""
_LIKES = """
INSERT INTO community_like (created_at, user_id, generation_id)
SELECT now() - random() * interval '30 days',
       (%(users)s::bigint[])[1 + floor(random() * cardinality(%(users)s::bigint[]))::int],
       (%(images)s::bigint[])[1 + floor(power(random(), 2) * cardinality(%(images)s::bigint[]))::int]
FROM generate_series(1, %(count)s)
ON CONFLICT DO NOTHING
"""
_COMMENTS = """
INSERT INTO community_comment (created_at, user_id, generation_id, body)
SELECT now() - (%(count)s - n) * interval '13 seconds',
       (%(users)s::bigint[])[1 + floor(random() * cardinality(%(users)s::bigint[]))::int],
       (%(images)s::bigint[])[1 + floor(power(random(), 2) * cardinality(%(images)s::bigint[]))::int],
       'Lovely light in this one, comment ' || n
FROM generate_series(1, %(count)s) AS n
"""
_FOLLOWS = """
INSERT INTO community_follow (created_at, follower_id, following_id)
SELECT now() - random() * interval '60 days',
       (%(users)s::bigint[])[1 + floor(random() * cardinality(%(users)s::bigint[]))::int],
       (%(artists)s::bigint[])[1 + floor(power(random(), 2) * cardinality(%(artists)s::bigint[]))::int]
FROM generate_series(1, %(count)s)
ON CONFLICT DO NOTHING
"""
_NOTIFICATIONS = """
INSERT INTO notifications_notification (created_at, recipient_id, actor_id, actor_count, kind, message, subject,
    link, is_read)
SELECT now() - n * interval '7 minutes', recipient, NULL, 1, 'system', 'Benchmark announcement ' || n, '', '/feed/',
       n > 5
FROM unnest(%(users)s::bigint[]) AS recipient, generate_series(1, %(each)s) AS n
"""


def _bulk(cursor, size: Scale, people: dict[str, list[int]], styles: list[int]) -> None:
    rng = random.Random(size.images)
    shuffled_styles = rng.sample(styles, len(styles))
    cursor.execute(_GENERATIONS, {"image": SHARED_IMAGE, "images": size.images, "buyers": people["buyers"],
                                  "styles": shuffled_styles})
    cursor.execute("SELECT id FROM generations_generation ORDER BY id")
    images = [row[0] for row in cursor.fetchall()]
    rng.shuffle(images)
    cursor.execute("SELECT id FROM styles_tag ORDER BY id")
    cursor.execute(_GENERATION_TAGS, {"tags": [row[0] for row in cursor.fetchall()]})
    # Draws repeat a (user, image) pair now and then, which the unique constraint drops: top up until full.
    cursor.execute("SELECT count(*) FROM community_like")
    while (missing := size.likes - cursor.fetchone()[0]) > 0:
        cursor.execute(_LIKES, {"users": people["everyone"], "images": images, "count": missing})
        cursor.execute("SELECT count(*) FROM community_like")
    cursor.execute(_COMMENTS, {"users": people["everyone"], "images": images, "count": size.comments})
    cursor.execute(_FOLLOWS, {"users": people["buyers"], "artists": people["artists"], "count": size.follows})
    cursor.execute(_NOTIFICATIONS, {"users": people["signed_in"], "each": 60})
    cursor.execute(
        "UPDATE styles_style SET created_at = now() - (((SELECT max(id) FROM styles_style) - id)"
        " * interval '37 minutes')"
    )


def _recount() -> None:
    """The likes and comments went in past the services, which keep the images' and styles' counters."""
    from marketplace.community.services import counters_recount
    from marketplace.styles.counters import styles_recount

    counters_recount()
    styles_recount()


def _fund(user_ids: list[int]) -> None:
    from marketplace.ledger.services import ledger_credit

    for user_id in user_ids:
        ledger_credit(user_id=user_id, amount=1_000_000, kind="purchase", reason="Benchmark tokens",
                      idempotency_key=f"bench-web-{user_id}")


def targets(scale: str) -> dict:
    """The seeded URLs' variable parts, for the Locust scenario and run.py's profile (bench/web/locustfile.py)."""
    from marketplace.accounts.models import User
    from marketplace.core.pagination import encode_cursor
    from marketplace.generations.models import Generation
    from marketplace.styles.models import Style, Tag

    live = Style.objects.live().order_by("-created_at", "-id")
    images = Generation.objects.public().order_by("-created_at", "-id")
    live_count, image_count = live.count(), images.count()
    rng = random.Random(scale)
    return {
        "slugs": rng.sample(list(live.values_list("slug", flat=True)), min(500, live_count)),
        "busiest_slug": live.order_by("-generation_count").values_list("slug", flat=True).first(),
        "tags": list(Tag.objects.order_by("name").values_list("name", flat=True)),
        "most_liked_path": images.order_by("-like_count").first().get_absolute_url(),
        "image_paths": [f"/images/{pk}/" for pk in rng.sample(list(images.values_list("pk", flat=True)),
                                                               min(5_000, image_count))],
        "artist_paths": [f"/artists/{name}/" for name in
                         User.objects.filter(styles__isnull=False).distinct().values_list("username", flat=True)],
        "usernames": [f"buyer{n}" for n in range(SIGNED_IN)],
        "deep_catalog_cursor": encode_cursor(live[live_count * 3 // 4]),
        "deep_feed_cursor": encode_cursor(images[image_count // 2]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="1k")
    parser.add_argument("--reseed", action="store_true", help="empty the scale's database and seed it again")
    args = parser.parse_args()
    ensure_seeded(args.scale, reseed=args.reseed)
    print(f"{database_name(args.scale)} is seeded")


if __name__ == "__main__":
    main()
