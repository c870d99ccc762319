"""The queries issue 14 found slow at 100k images, EXPLAIN ANALYZEd before (their old SQL) and after (what the
pages run now), on the same seeded database.

Usage, from the repository root, against a PostgreSQL server (SQLite is refused):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atelier .venv/bin/python bench/web/explain.py \\
        [--scale 100k] [--no-record]

"Before" is the SQL the pages used to issue (the feed's Paginator COUNT and OFFSET pages with a like and a
comment count subquery per row, the catalog's popular order aggregating every generation, a style's stats
counting its likes), run on today's schema and data. "After" is every SELECT the
page issues today, captured from a request through Django's test client (DEBUG off, page cache off) and each
EXPLAIN ANALYZEd; the slowest is reported. Each figure is the median of 3 runs of the server's own
"Execution Time" (planning excluded, JIT included: the server's default settings). The table is printed and,
unless --no-record, written to the "## Former slow queries" section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import seed_scale  # noqa: E402

from bench.report import write_section  # noqa: E402

HEADING = "## Former slow queries"
RUNS = 3
PUBLIC = "g.visibility = 'public' AND g.status = 'completed' AND g.deleted_at IS NULL AND g.hidden_at IS NULL"
OLD_FEED_PAGE = f"""
SELECT g.*,
       (SELECT count(*) FROM community_like l WHERE l.generation_id = g.id) AS likes,
       (SELECT count(*) FROM community_comment c WHERE c.generation_id = g.id AND c.hidden_at IS NULL) AS comments
FROM generations_generation g WHERE {PUBLIC}
ORDER BY g.created_at DESC, g.id DESC LIMIT 20 OFFSET %s"""
OLD_POPULAR = """
SELECT s.*, count(g.id) AS made FROM styles_style s
LEFT JOIN generations_generation g ON g.style_id = s.id AND g.status = 'completed'
WHERE s.training_status = 'completed' AND s.deleted_at IS NULL
GROUP BY s.id ORDER BY made DESC, s.created_at DESC, s.id DESC LIMIT 24"""
OLD_STYLE_LIKES = """
SELECT count(*) FROM community_like l JOIN generations_generation g ON g.id = l.generation_id
WHERE g.style_id = %s AND g.status = 'completed'"""


def execution_ms(cursor, sql: str, params=None) -> tuple[float, str]:
    """The median "Execution Time" of RUNS EXPLAIN ANALYZEs, and how the plan reads the tables."""
    times, first = [], ""
    for _ in range(RUNS):
        cursor.execute("EXPLAIN (ANALYZE, FORMAT TEXT) " + sql, params)
        lines = [row[0] for row in cursor.fetchall()]
        times.append(float(re.search(r"Execution Time: ([\d.]+)", "\n".join(lines)).group(1)))
        scans = re.findall(r"(Seq Scan on \w+|Index (?:Only )?Scan(?: Backward)? using \w+|Bitmap Index Scan on \w+)",
                           "\n".join(lines))
        first = ", ".join(dict.fromkeys(scans[:3])) or re.sub(r"\s+\(cost=.*", "", lines[0]).strip()
    return statistics.median(times), first


def page_queries(client, url: str, **headers) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, **headers)  # warm: sessions, caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code in (200, 286), (url, response.status_code)
    return [query["sql"] for query in captured.captured_queries if query["sql"].lstrip().upper().startswith("SELECT")]


def slowest(cursor, queries: list[str]) -> tuple[float, str, int]:
    measured = [(*execution_ms(cursor, sql), sql) for sql in queries]
    ms, node, _sql = max(measured)
    return ms, node, len(queries)


def measure(scale: str) -> list[dict]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from marketplace.accounts.models import User
    from marketplace.core.pagination import encode_cursor
    from marketplace.generations.models import Generation
    from marketplace.styles.models import Style

    settings.DEBUG = False
    images = Generation.objects.public().order_by("-created_at", "-id")
    count = images.count()
    busiest = Style.objects.live().order_by("-generation_count").first()
    anonymous, signed_in = Client(), Client()
    buyer = User.objects.get(username="buyer0")
    signed_in.force_login(buyer)
    # A job waiting in line, whose card shows its place and estimate (removed afterwards).
    style = Style.objects.live().first()
    job = Generation.objects.create(user=buyer, style=style, prompt="explain", aspect_ratio="1:1", seed=1,
                                    cost=style.price_per_generation)
    htmx = {"HTTP_HX_REQUEST": "true"}
    rows = []
    with connection.cursor() as cursor:
        def row(name, before, after_url, client=anonymous, **headers):
            before_ms, before_node = execution_ms(cursor, *before) if before else (None, "")
            after_ms, after_node, queries = slowest(cursor, page_queries(client, after_url, **headers))
            rows.append({"name": name, "before_ms": before_ms, "before_node": before_node, "after_url": after_url,
                         "after_ms": after_ms, "after_node": after_node, "queries": queries})
            print(f"{name}: {before_ms} ms -> {after_ms:.1f} ms", flush=True)

        count_sql = f"SELECT count(*) FROM generations_generation g WHERE {PUBLIC}"
        row("feed, first page (Paginator COUNT)", (count_sql,), "/feed/")
        for page in (500, 2500):
            depth = min((page - 1) * 20, count - 1)
            row(f"feed, page {page} (OFFSET {depth:,})", (OLD_FEED_PAGE, [depth]),
                f"/feed/?cursor={encode_cursor(images[depth])}", **htmx)
        row("catalog ?sort=popular", (OLD_POPULAR,), "/styles/?sort=popular")
        row("busiest style's stats", (OLD_STYLE_LIKES, [busiest.pk]), busiest.get_absolute_url())
        # The queue estimate's old scans cost what the queue held during a load run (20-38 ms on the POST,
        # 8-19 ms per poll, issue 14); a quiet seeded database has no queue to measure them on.
        row("job card poll (queue place and estimate)", None, job.get_absolute_url(), client=signed_in, **htmx)
    job.delete()
    return rows


def markdown(scale: str, rows: list[dict], data: str) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        HEADING, "",
        f"`bench/web/explain.py --scale {scale}` (usage in its docstring), {when}, {platform.node()} "
        f"({os.cpu_count()} cores), PostgreSQL on the same machine; {data}. Before: the SQL the pages used to "
        "issue, on today's schema and data. After: the slowest of the SELECTs the page issues now (captured "
        f"from a request, each EXPLAIN ANALYZEd). Median of {RUNS} \"Execution Time\"s, JIT as the server "
        "defaults.", "",
        "| query | before | read by | after (slowest of the page's) | read by | page's SELECTs |",
        "|---|---:|---|---:|---|---:|",
    ]
    for r in rows:
        before = "n/a" if r["before_ms"] is None else f"{r['before_ms']:.1f} ms"
        lines.append(f"| {r['name']} | {before} | {r['before_node']} | {r['after_ms']:.2f} ms "
                     f"| {r['after_node']} | {r['queries']} |")
    worst = max(r["after_ms"] for r in rows)
    lines += ["", f"Slowest query after: {worst:.2f} ms (target: none over 20 ms). The job card's queue estimate "
              "has no before here: its old scans cost what the queue held during a load run (20-38 ms on the "
              "generate POST, 8-19 ms per poll, issue 14), and a quiet database has no queue; now it reads one "
              "cached snapshot of the queue (at most one query per 2 s) and a cached running average."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scale", choices=sorted(seed_scale.SCALES), default="100k")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    from run import data_line, server_env

    # The server's settings (DEBUG off, production's), without the page cache: each request reaches the views.
    os.environ.update({**server_env(os.environ.get("DATABASE_URL", ""), "testserver"), "ANON_PAGE_CACHE_SECONDS": "0"})
    seed_scale.ensure_seeded(args.scale)
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off serves the manifest's names

    rows = measure(args.scale)
    section = markdown(args.scale, rows, data_line())
    print(section)
    if not args.no_record:
        write_section(HEADING, section)


if __name__ == "__main__":
    main()
