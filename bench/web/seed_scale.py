"""Seed the web benchmark's database at scale: a catalog and a feed big enough that indexes matter.

Usage, from the repository root, against a PostgreSQL server (SQLite is refused):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atelier .venv/bin/python bench/web/seed_scale.py [--reseed]

Only the server in DATABASE_URL is used: the data goes to a dedicated database `atelier_bench_web`, created
if missing and migrated. Seeding is skipped when that database already holds the full set (--reseed empties
it first). Rows are written with bulk_create, except balances: every user's welcome credit goes through
`ledger_credit` (via `user_grant_welcome_bonus`), the only code allowed to change a balance. The seed ends with
ANALYZE (bench/web/run.py seeds through it too): autovacuum may be off, and fresh tables have no statistics.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.pgdb import create_bench_database  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BENCH_DB = "atelier_bench_web"
ARTISTS = 50
BUYERS = 500
TAGS = 40
STYLES = 2_000
GENERATIONS = 20_000
LIKES = 50_000
SHARED_IMAGE = "bench/shared.png"
BATCH = 2_000


def bench_database_url() -> str:
    """DATABASE_URL pointed at atelier_bench_web on the same server, which is created if missing."""
    return create_bench_database(BENCH_DB, script="the web benchmark")[0]


def setup_django(database_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.web.settings"
    os.environ["EMBEDDED_WORKER"] = "false"
    import django

    django.setup()


def is_seeded() -> bool:
    from marketplace.community.models import Like
    from marketplace.generations.models import Generation
    from marketplace.styles.models import Style

    return (
        Style.objects.live().count() >= STYLES
        and Generation.objects.public().count() >= GENERATIONS
        and Like.objects.count() >= LIKES
    )


def shared_image() -> str:
    """One small PNG under MEDIA_ROOT that every training image and generation points at."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from PIL import Image

    if not default_storage.exists(SHARED_IMAGE):
        buffer = io.BytesIO()
        Image.new("RGB", (64, 64), (180, 120, 90)).save(buffer, "PNG")
        default_storage.save(SHARED_IMAGE, ContentFile(buffer.getvalue()))
    return SHARED_IMAGE


def spread_created_at(table: str) -> None:
    """bulk_create stamps every row with the same instant; give rows distinct, id-ordered times instead."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET created_at = now() - (((SELECT max(id) FROM {table}) - id) * interval '37 seconds')"
        )


def seed(rng: random.Random) -> None:
    from django.utils import timezone

    from marketplace.accounts.models import User
    from marketplace.accounts.services import user_grant_welcome_bonus
    from marketplace.community.models import Like
    from marketplace.community.services import counters_recount
    from marketplace.generations.models import Generation
    from marketplace.styles.counters import styles_recount
    from marketplace.styles.models import Style, StyleTag, Tag, TrainingImage

    image = shared_image()
    now = timezone.now()
    users = [
        User(username=f"artist{n}", email=f"artist{n}@bench.invalid", role=User.Role.ARTIST, display_name=f"Artist {n}")
        for n in range(ARTISTS)
    ] + [User(username=f"buyer{n}", email=f"buyer{n}@bench.invalid") for n in range(BUYERS)]
    for user in users:
        user.set_unusable_password()
    users = User.objects.bulk_create(users, batch_size=BATCH)
    for user in users:
        user_grant_welcome_bonus(user=user)
    artists, buyers = users[:ARTISTS], users[ARTISTS:]

    tags = Tag.objects.bulk_create([Tag(name=f"tag{n:02d}") for n in range(TAGS)])
    styles = Style.objects.bulk_create(
        [
            Style(
                artist=rng.choice(artists), name=f"Style {n}", slug=f"style-{n}",
                description=f"Benchmark style number {n}, drawn in a consistent manner.",
                training_status=Style.Status.COMPLETED, training_progress=100,
                model_path=f"models/bench-{n}.safetensors",
                price_per_generation=rng.randint(1, 50), commercial_use=rng.random() < 0.5,
                credit_required=rng.random() < 0.5, trained_at=now,
            )
            for n in range(STYLES)
        ],
        batch_size=BATCH,
    )
    StyleTag.objects.bulk_create(
        [StyleTag(style=style, tag=tag) for style in styles for tag in rng.sample(tags, rng.randint(1, 3))],
        batch_size=BATCH,
    )
    TrainingImage.objects.bulk_create(
        [TrainingImage(style=style, image=image, width=64, height=64) for style in styles], batch_size=BATCH
    )
    generations = Generation.objects.bulk_create(
        [
            Generation(
                user=rng.choice(buyers), style=rng.choice(styles), prompt=f"a benchmark scene {n}",
                aspect_ratio=Generation.AspectRatio.SQUARE, seed=n, status=Generation.Status.COMPLETED,
                progress=100, cost=10, image=image, visibility=Generation.Visibility.PUBLIC,
                started_at=now, finished_at=now,
            )
            for n in range(GENERATIONS)
        ],
        batch_size=BATCH,
    )
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < LIKES:
        pairs.add((rng.randrange(BUYERS), rng.randrange(GENERATIONS)))
    Like.objects.bulk_create(
        [Like(user=buyers[u], generation=generations[g]) for u, g in pairs], batch_size=BATCH
    )
    for table in (Style._meta.db_table, Generation._meta.db_table):
        spread_created_at(table)
    counters_recount()  # the likes went in past the services, which keep each image's like_count
    styles_recount()  # and each style's generation_count and like_count
    analyze()


def analyze() -> None:
    """Give the planner statistics for the rows just written: autovacuum may be off, and without them every
    query is planned for empty tables (the feed measured 91 ms instead of 7 ms)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--reseed", action="store_true", help="empty atelier_bench_web and seed it again")
    args = parser.parse_args()
    setup_django(bench_database_url())
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if is_seeded() and not args.reseed:
        print("atelier_bench_web is already seeded")
        return
    call_command("flush", interactive=False, verbosity=0)
    started = time.perf_counter()
    seed(random.Random(6))
    print(f"seeded atelier_bench_web in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
