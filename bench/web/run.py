"""Web pages under load: gunicorn serving the public pages to 100 Locust users, against a bare view.

Usage, from the repository root, against a PostgreSQL server (SQLite is refused):

    .venv/bin/pip install -r bench/requirements.txt
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atelier .venv/bin/python bench/web/run.py \
        [--seconds 60] [--no-record]

Seeds `atelier_bench_web` if needed (bench/web/seed_scale.py), profiles each page once in-process (queries,
SQL time, render time), then starts gunicorn with DEBUG off (gthread, 2 workers x 4 threads, 127.0.0.1:8100,
bench.web.settings) and runs three headless Locust passes of --seconds each with 100 users spawned 20/s:

- bare: only `bench/bare/` (no database, no template), no think time: the server's ceiling on this machine;
- pages: the public pages (bench/web/locustfile.py), no think time: capacity, compared with bare;
- pages, think 1-3 s: the same visitors pausing between pages, the seed plan's "100 concurrent users".

The figures are printed and, unless --no-record, appended to docs/performance.md under "Web pages under load".
Target (seed plan M6-Performance): p95 < 500 ms with 100 concurrent users and no errors.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import seed_scale  # noqa: E402

ROOT = seed_scale.ROOT
OUT = ROOT / "var" / "bench-web"
HOST = "127.0.0.1:8100"
WORKERS, THREADS = 2, 4
USERS, SPAWN_RATE = 100, 20
REPORT = ROOT / "docs" / "performance.md"
HEADING = "## Web pages under load"
TARGET_P95_MS = 500
INTRO = (
    "`bench/web/run.py` (usage in its docstring) serves the public pages with gunicorn (DEBUG off) to 100 Locust\n"
    "users on a seeded PostgreSQL database (`bench/web/seed_scale.py`), and compares them with a bare view\n"
    "(`bench/bare/`: no database, no template) on the same server. Target (seed plan M6-Performance): p95 < 500 ms\n"
    "with 100 concurrent users and no errors. Visitors are anonymous: the seed plan's \"generate\" step is left out,\n"
    "as it needs a signed-in buyer and a worker.\n"
)
PASSES = (("bare", "BareUser", "0"), ("pages", "PagesUser", "0"), ("pages, think 1-3 s", "PagesUser", "1-3"))


def server_env(database_url: str) -> dict[str, str]:
    """Production-like: DEBUG off with every variable it requires, no worker thread, quiet logs."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.web.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-web-not-secret-0123456789abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SITE_URL": f"http://{HOST}",
        "DATABASE_URL": database_url,
        "INTERNAL_API_TOKEN": "bench-web-token",
        "SECURE_SSL_REDIRECT": "false",
        "EMBEDDED_WORKER": "false",
        "DB_POOL_MAX": str(THREADS + 2),
        "STATIC_ROOT": str(OUT / "static"),
        "LOG_LEVEL": "WARNING",
    }


def prepare(env: dict[str, str]) -> dict:
    """Seed, collect static files, and return the URLs' variable parts for the locustfile."""
    os.environ.update(env)
    seed_scale.setup_django(env["DATABASE_URL"])
    from django.core.management import call_command

    from marketplace.core.pagination import encode_cursor
    from marketplace.styles.models import Style, Tag

    call_command("migrate", verbosity=0)
    if not seed_scale.is_seeded():
        call_command("flush", interactive=False, verbosity=0)
        seed_scale.seed(seed_scale.random.Random(6))
    call_command("collectstatic", interactive=False, verbosity=0)
    live = Style.objects.live().order_by("-created_at", "-id")
    return {
        "slugs": list(live.values_list("slug", flat=True)),
        "tags": list(Tag.objects.values_list("name", flat=True)),
        # The cursor after 1,500 of 2,000 styles: page 76 of 100 when following "next".
        "deep_cursor": encode_cursor(live[1_499]),
        "feed_deep_page": seed_scale.GENERATIONS // 20 // 2,
    }


def profile(targets: dict) -> list[dict]:
    """Each page once warm, in-process: status, queries, SQL time and total time (median of 5)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    urls = {
        "home": "/",
        "catalog": "/styles/",
        "catalog ?tags= (all of 2)": f"/styles/?tags={','.join(targets['tags'][:2])}",
        "catalog ?tags_any=&tags_not=": (
            f"/styles/?tags_any={','.join(targets['tags'][2:5])}&tags_not={targets['tags'][5]}"
        ),
        "catalog deep cursor": f"/styles/?cursor={targets['deep_cursor']}",
        "catalog ?sort=popular": "/styles/?sort=popular",
        "style detail": f"/styles/{targets['slugs'][0]}/",
        "feed": "/feed/",
        "feed deep page": f"/feed/?page={targets['feed_deep_page']}",
    }
    client, rows = Client(), []
    for name, url in urls.items():
        client.get(url)
        totals, sqls = [], []
        for _ in range(5):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                totals.append((time.perf_counter() - started) * 1000)
            sqls.append(sum(float(query["time"]) for query in queries.captured_queries) * 1000)
        rows.append({
            "name": name, "url": url, "status": response.status_code, "queries": len(queries),
            "sql_ms": statistics.median(sqls), "total_ms": statistics.median(totals),
            "slowest": max(queries.captured_queries, key=lambda query: float(query["time"]))["sql"][:300],
        })
    return rows


def start_server(env: dict[str, str]) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"), "config.wsgi:application", "--bind", HOST,
            "--worker-class", "gthread", "--workers", str(WORKERS), "--threads", str(THREADS),
            "--log-level", "warning",
        ],
        cwd=ROOT, env=env,
    )
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://{HOST}/bench/bare/", timeout=1) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not answer on " + HOST)


def cpu_seconds(pids: list[int]) -> float:
    import psutil

    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def database_pids() -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


def run_pass(label: str, user_class: str, wait: str, seconds: int, server: subprocess.Popen, env: dict) -> dict:
    import psutil

    stem = OUT / label.replace(" ", "-").replace(",", "")
    workers = [child.pid for child in psutil.Process(server.pid).children()]
    backends = database_pids()
    before = (cpu_seconds(workers), cpu_seconds(backends), resource.getrusage(resource.RUSAGE_CHILDREN))
    subprocess.run(
        [
            str(ROOT / ".venv/bin/locust"), "-f", str(ROOT / "bench/web/locustfile.py"), user_class,
            "--headless", "-u", str(USERS), "-r", str(SPAWN_RATE), "-t", f"{seconds}s",
            "--host", f"http://{HOST}", "--json-file", str(stem), "--only-summary", "--loglevel", "WARNING",
        ],
        cwd=ROOT, env={**env, "BENCH_WEB_WAIT": wait, "BENCH_WEB_TARGETS": str(OUT / "targets.json")},
        stderr=subprocess.DEVNULL, check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    backends = sorted(set(backends) | set(database_pids()))
    entries = json.loads(stem.with_suffix(".json").read_text())
    return {
        "label": label, "command": f"locust ... {user_class} -u {USERS} -r {SPAWN_RATE} -t {seconds}s (wait {wait} s)",
        "endpoints": [summarise(entry["name"], [entry]) for entry in entries],
        "total": summarise("all", entries),
        "cpu": {
            "gunicorn": cpu_seconds(workers) - before[0],
            "postgres": cpu_seconds(backends) - before[1],
            "locust": (after.ru_utime + after.ru_stime) - (before[2].ru_utime + before[2].ru_stime),
        },
    }


def summarise(name: str, entries: list[dict]) -> dict:
    """Percentiles from Locust's rounded response-time histogram, merged over `entries`."""
    histogram: dict[int, int] = {}
    for entry in entries:
        for ms, count in entry["response_times"].items():
            histogram[int(float(ms))] = histogram.get(int(float(ms)), 0) + count
    requests = sum(entry["num_requests"] for entry in entries)
    started = min(entry["start_time"] for entry in entries)
    ended = max(entry["last_request_timestamp"] for entry in entries)

    def percentile(fraction: float) -> int:
        seen = 0
        for ms in sorted(histogram):
            seen += histogram[ms]
            if seen >= fraction * requests:
                return ms
        return 0

    return {
        "name": name, "requests": requests, "failures": sum(entry["num_failures"] for entry in entries),
        "rps": requests / max(ended - started, 1e-9),
        "p50": percentile(0.50), "p95": percentile(0.95), "p99": percentile(0.99),
    }


def markdown(results: list[dict], profiled: list[dict], seconds: int, loadavg: tuple) -> str:
    bare, pages, think = results
    b, p = bare["total"], pages["total"]
    lines = [
        f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {USERS} users, {seconds} s per pass",
        "",
        f"Machine: nproc {os.cpu_count()} ({platform.processor() or platform.machine()}), PostgreSQL on the same "
        f"host, Python {platform.python_version()}; load average before the run {loadavg[0]:.2f}. "
        f"gunicorn gthread {WORKERS} workers × {THREADS} threads, DEBUG off, pool max {THREADS + 2}; "
        "Locust (FastHttpUser) on the same 2 cores.",
        "",
        "Command: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/atelier .venv/bin/python bench/web/run.py`",
        "",
        f"Data: {seed_scale.STYLES:,} live styles ({seed_scale.ARTISTS} artists, 1–3 of {seed_scale.TAGS} tags each), "
        f"{seed_scale.GENERATIONS:,} public images, {seed_scale.LIKES:,} likes, "
        f"{seed_scale.ARTISTS + seed_scale.BUYERS} users funded by `ledger_credit`.",
        "",
        "| pass | endpoint | requests | failures | req/s | p50 ms | p95 ms | p99 ms |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        for row in [*sorted(result["endpoints"], key=lambda row: row["name"]), result["total"]]:
            name = f"**{row['name']}**" if row is result["total"] else row["name"]
            lines.append(
                f"| {result['label']} | {name} | {row['requests']} | {row['failures']} | {row['rps']:.1f} "
                f"| {row['p50']} | {row['p95']} | {row['p99']} |"
            )
    lines += [
        "",
        f"Pages against bare, both with no think time: p95 {p['p95']} / {b['p95']} ms = "
        f"{p['p95'] / max(b['p95'], 1):.1f}×; req/s {p['rps']:.1f} / {b['rps']:.1f} = {p['rps'] / b['rps']:.2f}.",
        "",
        "CPU seconds used during each pass (gunicorn workers, PostgreSQL backends of the pool, Locust), and per "
        "request:",
        "",
        "| pass | gunicorn s | postgres s | locust s | gunicorn ms/req | postgres ms/req |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        cpu, n = result["cpu"], max(result["total"]["requests"], 1)
        lines.append(
            f"| {result['label']} | {cpu['gunicorn']:.1f} | {cpu['postgres']:.1f} | {cpu['locust']:.1f} "
            f"| {cpu['gunicorn'] * 1000 / n:.2f} | {cpu['postgres'] * 1000 / n:.2f} |"
        )
    lines += [
        "",
        "Each page once, warm, in-process (median of 5): queries, time in SQL, total time.",
        "",
        "| endpoint | status | queries | SQL ms | total ms |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {row['name']} | {row['status']} | {row['queries']} | {row['sql_ms']:.1f} | {row['total_ms']:.1f} |"
        for row in profiled
    ]
    t = think["total"]
    verdict = "met" if t["p95"] < TARGET_P95_MS and t["failures"] == 0 else "MISSED"
    lines += [
        "",
        f"Target (p95 < {TARGET_P95_MS} ms, {USERS} concurrent users, no errors), {think['label']}: p95 {t['p95']} ms, "
        f"{t['failures']} failures — {verdict}. Without think time: p95 {p['p95']} ms, {p['failures']} failures.",
        "",
    ]
    return "\n".join(lines)


def record(section: str) -> None:
    text = REPORT.read_text()
    if HEADING not in text:
        text = text.rstrip("\n") + f"\n\n{HEADING}\n\n{INTRO}\n"
    REPORT.write_text(text.rstrip("\n") + "\n\n" + section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--no-record", action="store_true", help="print only; leave docs/performance.md alone")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    env = server_env(seed_scale.bench_database_url())
    targets = prepare(env)
    (OUT / "targets.json").write_text(json.dumps(targets))
    profiled = profile(targets)
    for row in profiled:
        print(f"{row['name']}: {row['status']} {row['queries']} queries {row['sql_ms']:.1f} / {row['total_ms']:.1f} ms")
    loadavg = os.getloadavg()
    server = start_server(env)
    try:
        results = [run_pass(*spec, args.seconds, server, env) for spec in PASSES]
    finally:
        server.terminate()
        server.wait(timeout=30)
    section = markdown(results, profiled, args.seconds, loadavg)
    print(section)
    (OUT / "profile.json").write_text(json.dumps(profiled, indent=2))
    if not args.no_record:
        record(section)


if __name__ == "__main__":
    main()
