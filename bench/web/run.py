"""Web pages under load (issue 14): what people do, at 1k and 100k images, against the same run's bare view.

Usage, from the repository root, with PostgreSQL, Redis and RabbitMQ running (SQLite is refused):

    .venv/bin/pip install -r bench/requirements.txt
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atelier REDIS_URL=redis://127.0.0.1:6379/0 \
    AMQP_URL=amqp://guest:guest@127.0.0.1:5672/%2F .venv/bin/python bench/web/run.py \
        [--scales 1k,100k] [--seconds 60] [--port 8100] [--no-record]

For each scale, in a process of its own (one Django set-up per database): seed_scale.ensure_seeded(scale) and
seed_scale.targets(scale) (bench/web/seed_scale.py); each page profiled once in-process with DEBUG off and the
anonymous page cache off (queries, the slowest query, SQL and total time), anonymous and signed in; then
gunicorn (bench.web.settings: production's, DEBUG off, gthread 2 workers x 4 threads) with the outbox sent to
RabbitMQ by its after-commit thread, and the reference worker (`python -m worker`) consuming the queues, so a
generated job completes and its card stops polling. Locust passes (bench/web/locustfile.py) of --seconds each,
100 users spawned 20/s, the load average recorded before each:

- bare: `bench/bare/` only (no database, no template), closed loop: this machine's ceiling in this run;
- single pages, closed loop, --seconds / 2 each: anonymous catalog, anonymous feed, signed-in feed (first
  pages only): each page's capacity, divided by bare's for issue 14's ratios;
- anonymous, closed loop; signed in, closed loop: every page's cost under saturation;
- target: anonymous and signed-in users mixed 3:1 with 1 s think time, issue 14's "100 users".

Rate limits (per user: generate 30/min, comment 10/min) are switched off on the server: 100 users in a closed
loop would exceed them and be counted as failures of the page rather than of the limit.

The figures are printed and, unless --no-record, added as a dated run at the end of "## Web pages under load"
in docs/performance.md, whose introduction is rewritten (older runs are kept).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import seed_scale  # noqa: E402

from bench.report import read_section, write_section  # noqa: E402

OUT = ROOT / "var" / "bench-web"
ENVIRON = dict(os.environ)  # as the script was started, before this process's Django is configured
WORKERS, THREADS = 2, 4
USERS, SPAWN_RATE = 100, 20
HEADING = "## Web pages under load"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
# Issue 14's targets.
TARGET_P95_MS = 100
TARGET_RATIOS = {"catalog": 0.40, "feed": 0.40, "feed (signed in)": 0.10}
MAX_QUERIES = 8  # any page
# Requests that are not pages, with issue 14's own limits; None: reported, no target (a like or comment POST).
QUERY_LIMITS = {"generate POST (htmx)": 12, "job card poll (htmx)": 3, "like (htmx)": None, "comment (htmx)": None}
SLOW_QUERY_MS = 20
INTRO = f"""{HEADING}

`bench/web/run.py` (usage in its docstring) measures issue 14's scenario (`bench/web/locustfile.py`): anonymous
visitors (home, catalog with tag filters, `?sort=popular` and a deep cursor, style pages including the busiest,
the feed scrolled by htmx to deep pages, image pages including the most liked, artist pages) and signed-in
buyers (logged in through the login form; the same pages plus generate, the job card polled every 2 s until
done, like/unlike, comment, notifications, wallet). gunicorn serves production's settings (DEBUG off,
gthread {WORKERS}×{THREADS}); generated jobs go through the outbox to RabbitMQ and the reference worker. Each
scale (1k and 100k images, `bench/web/seed_scale.py`) gets the same passes: bare view (`bench/bare/`, no
database, no template) as the ceiling, single-page capacity passes for the ratios, both user kinds in a closed
loop, and the target pass: {USERS} users (3 anonymous : 1 signed in) with 1 s think time. Queries come from an
in-process profile of each page (DEBUG off, page cache off). Targets (issue 14): p95 < {TARGET_P95_MS} ms on
every page at {USERS} users with 1 s think time and zero errors; anonymous feed and catalog >= 0.40 of bare,
signed-in feed >= 0.10; <= {MAX_QUERIES} queries per page, the same at 1k and 100k; no query over
{SLOW_QUERY_MS} ms.
"""




def server_env(database_url: str, host: str) -> dict[str, str]:
    """Production-like: DEBUG off with every variable it requires, jobs published to RabbitMQ, quiet logs."""
    return {
        **ENVIRON,
        "DJANGO_SETTINGS_MODULE": "bench.web.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-web-not-secret-0123456789abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SITE_URL": f"http://{host}",
        "DATABASE_URL": database_url,
        "INTERNAL_API_TOKEN": "bench-web-token",
        "SECURE_SSL_REDIRECT": "false",
        "AMQP_URL": os.environ.get("AMQP_URL") or DEFAULT_AMQP_URL,
        "EMBEDDED_WORKER": "false",
        "IN_PROCESS_DISPATCHER": "false",  # the after-commit sender publishes; nothing here needs re-sending
        "OUTBOX_SEND_INLINE": "false",
        "RATE_LIMIT_GENERATE": "", "RATE_LIMIT_COMMENT": "", "RATE_LIMIT_SOCIAL": "",
        "DB_POOL_MAX": str(THREADS + 2),
        # gunicorn.conf.py (read from the working directory) recycles a worker every ~2,000 requests: at this
        # benchmark's rates that is a fresh Django start every few seconds (the bare view measured 1,180 req/s
        # with it, against 4,382 before the file existed), so recycling is off here; its access log stays.
        "GUNICORN_MAX_REQUESTS": "0",
        "STATIC_ROOT": str(OUT / "static"),
        "LOG_LEVEL": "WARNING",
    }


def worker_env(env: dict[str, str]) -> dict[str, str]:
    """The reference worker as README runs it: the broker, and the bearer token (no signing secret is set)."""
    return {**env, "ATELIER_AMQP_URL": env["AMQP_URL"], "ATELIER_WORKER_TOKEN": env["INTERNAL_API_TOKEN"]}


# --- In-process profile --------------------------------------------------------------------------------------


def profile(targets: dict) -> list[dict]:
    """Each page once warm, then 5 times: status, queries, the slowest query, SQL and total time (medians),
    anonymous and signed in, including the htmx requests (feed scroll, generate POST, job-card poll)."""
    from django.test import Client

    from marketplace.accounts.models import User

    tags = targets["tags"]
    pages = {
        "home": "/",
        "catalog": "/styles/",
        "catalog ?tags= (all of 2)": f"/styles/?tags={','.join(tags[:2])}",
        "catalog ?tags_any=&tags_not=": f"/styles/?tags_any={','.join(tags[2:5])}&tags_not={tags[5]}",
        "catalog ?sort=popular": "/styles/?sort=popular",
        "catalog deep cursor": f"/styles/?cursor={targets['deep_catalog_cursor']}",
        "style": f"/styles/{targets['slugs'][0]}/",
        "style (busiest)": f"/styles/{targets['busiest_slug']}/",
        "feed": "/feed/",
        "feed deep (htmx)": f"/feed/?cursor={targets['deep_feed_cursor']}",
        "image": targets["image_paths"][0],
        "image (most liked)": targets["most_liked_path"],
        "artist": targets["artist_paths"][0],
    }
    htmx = {"HTTP_HX_REQUEST": "true"}
    anonymous, signed_in = Client(), Client()
    user = User.objects.get(username=targets["usernames"][0])
    signed_in.force_login(user)
    rows = []
    for kind, client, suffix in (("anonymous", anonymous, ""), ("signed in", signed_in, " (signed in)")):
        for name, url in pages.items():
            headers = htmx if "(htmx)" in name else {}
            rows.append(measure(kind, name + suffix, lambda c=client, u=url, h=headers: c.get(u, **h)))
    image = targets["image_paths"][1]
    rows += [
        measure("signed in", "generate POST (htmx)", lambda data: signed_in.post("/generate/", data, **htmx),
                prepare=lambda: (generate_form(signed_in, targets["slugs"][0]),)),
        measure("signed in", "job card poll (htmx)", lambda: signed_in.get(own_image(user), **htmx)),
        measure("signed in", "like (htmx)", lambda: signed_in.post(f"{image}like/", {"like": "1"}, **htmx)),
        measure("signed in", "comment (htmx)", lambda: signed_in.post(f"{image}comments/", {"body": "Nice."}, **htmx)),
        measure("signed in", "notifications", lambda: signed_in.get("/notifications/")),
        measure("signed in", "wallet", lambda: signed_in.get("/wallet/")),
    ]
    return rows


def generate_form(client, slug: str) -> dict:
    """What the style page's form posts, with a fresh request key (locustfile.SignedInUser.generate, whose
    module is not imported here: importing locust monkey-patches this process for gevent)."""
    page = client.get(f"/styles/{slug}/").content.decode()
    form = re.search(r'<form id="generate-form".*?</form>', page, re.S).group(0)
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    return {**hidden, "tags": "a fox, snow", "aspect_ratio": "1:1", "seed": ""}


def own_image(user) -> str:
    return user.generations.order_by("-id").first().get_absolute_url()


def measure(kind: str, name: str, request, prepare=tuple) -> dict:
    """`request(*prepare())` once to warm, then 5 times measured; what prepare() does is not measured."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    request(*prepare())
    totals, sqls, counts, slowest = [], [], [], (0.0, "")
    for _ in range(5):
        arguments = prepare()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = request(*arguments)
            totals.append((time.perf_counter() - started) * 1000)
        times = [(float(query["time"]) * 1000, query["sql"]) for query in queries.captured_queries]
        sqls.append(sum(ms for ms, _sql in times))
        counts.append(len(times))
        slowest = max([slowest, *times])
    return {
        "kind": kind, "name": name, "status": response.status_code, "queries": max(counts),
        "sql_ms": statistics.median(sqls), "total_ms": statistics.median(totals),
        "slowest_ms": slowest[0], "slowest": re.sub(r"\s+", " ", slowest[1])[:200],
    }


# --- Server, worker and Locust -------------------------------------------------------------------------------


def start(env: dict[str, str], host: str) -> tuple[subprocess.Popen, subprocess.Popen]:
    """gunicorn, then the reference worker consuming RabbitMQ (their logs in var/bench-web/)."""
    server_log = open(OUT / "gunicorn.log", "a")  # noqa: SIM115  (open for the server's lifetime)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application",
         "--bind", host, "--worker-class", "gthread", "--workers", str(WORKERS), "--threads", str(THREADS),
         "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT,
    )
    worker_log = open(OUT / "worker.log", "a")  # noqa: SIM115  (open for the worker's lifetime)
    worker = subprocess.Popen([sys.executable, "-m", "worker"], cwd=ROOT, env=worker_env(env),
                              stdout=worker_log, stderr=subprocess.STDOUT)
    for _ in range(150):
        try:
            with urllib.request.urlopen(f"http://{host}/bench/bare/", timeout=1) as response:
                if response.status == 200:
                    return server, worker
        except OSError:
            time.sleep(0.2)
    stop(server, worker)
    sys.exit("gunicorn did not answer on " + host)


def stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def passes(seconds: int) -> list[dict]:
    focused = max(10, seconds // 2)
    return [
        {"label": "bare", "users": ["BareUser"], "wait": "0", "seconds": seconds},
        {"label": "catalog only, anonymous", "users": ["AnonymousUser"], "tags": "catalog", "seconds": focused},
        {"label": "feed only, anonymous", "users": ["AnonymousUser"], "tags": "feed", "seconds": focused},
        {"label": "feed only, signed in", "users": ["SignedInUser"], "tags": "feed", "seconds": focused},
        {"label": "anonymous", "users": ["AnonymousUser"], "seconds": seconds},
        {"label": "signed in", "users": ["SignedInUser"], "seconds": seconds},
        {"label": "target: mixed, think 1 s", "users": ["AnonymousUser", "SignedInUser"], "wait": "1",
         "seconds": seconds},
    ]


def run_pass(spec: dict, host: str, env: dict, stem: Path) -> dict:
    loadavg = os.getloadavg()
    wait = spec.get("wait", "0")
    command = [
        sys.executable, "-m", "locust", "-f", str(ROOT / "bench/web/locustfile.py"), *spec["users"],
        "--headless", "-u", str(USERS), "-r", str(SPAWN_RATE), "-t", f"{spec['seconds']}s",
        "--host", f"http://{host}", "--json-file", str(stem), "--only-summary", "--loglevel", "WARNING",
    ]
    if spec.get("tags"):
        command += ["--tags", spec["tags"]]
    locust_env = {**env, "BENCH_WEB_WAIT": wait, "BENCH_WEB_TARGETS": str(stem.parent / "targets.json"),
                  "BENCH_WEB_SCROLL_PAGES": "0" if spec.get("tags") else "3"}
    subprocess.run(command, cwd=ROOT, env=locust_env, stderr=subprocess.DEVNULL, check=False)
    entries = json.loads(stem.with_suffix(".json").read_text())
    return {
        **spec, "loadavg": loadavg,
        "endpoints": [summarise(entry["name"], [entry], entries) for entry in entries],
        "total": summarise("all", entries, entries) if entries else None,
    }


def summarise(name: str, entries: list[dict], everything: list[dict]) -> dict:
    """Percentiles from Locust's rounded response-time histogram, merged over `entries`; req/s over the whole
    pass (`everything`), so that a page requested a few times is not divided by its own instant."""
    histogram: dict[int, int] = {}
    for entry in entries:
        for ms, count in entry["response_times"].items():
            histogram[int(float(ms))] = histogram.get(int(float(ms)), 0) + count
    requests = sum(entry["num_requests"] for entry in entries)
    started = min(entry["start_time"] for entry in everything)
    ended = max(entry["last_request_timestamp"] or entry["start_time"] for entry in everything)

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


def data_line() -> str:
    from marketplace.accounts.models import User
    from marketplace.community.models import Comment, Like
    from marketplace.generations.models import Generation
    from marketplace.styles.models import Style

    return (
        f"{Style.objects.live().count():,} live styles, {Generation.objects.public().count():,} public images, "
        f"{Like.objects.count():,} likes, {Comment.objects.count():,} comments, {User.objects.count():,} users"
    )


def measure_scale(scale: str, seconds: int, port: int) -> dict:
    """One scale, in this process: seed, profile, serve, run the passes. Returns what markdown() needs."""
    out = OUT / scale
    out.mkdir(parents=True, exist_ok=True)
    host = f"127.0.0.1:{port}"
    # This process's Django (the seed, the profile) is configured as the server is (the jobs it submits are
    # published by the after-commit thread, whose queries are not the request's), but caches no page; it is set
    # up by ensure_seeded.
    os.environ.update({**server_env(os.environ.get("DATABASE_URL", ""), host), "ANON_PAGE_CACHE_SECONDS": "0"})
    database_url = seed_scale.ensure_seeded(scale)
    env = server_env(database_url, host)
    os.environ["DATABASE_URL"] = database_url
    from django.conf import settings
    from django.core.management import call_command

    settings.DEBUG = False
    targets = seed_scale.targets(scale)
    (out / "targets.json").write_text(json.dumps(targets))
    call_command("collectstatic", interactive=False, verbosity=0)
    profiled = profile(targets)
    data = data_line()
    server, worker = start(env, host)
    try:
        results = []
        for spec in passes(seconds):
            results.append(run_pass(spec, host, env, out / re.sub(r"[^a-z0-9]+", "-", spec["label"]).strip("-")))
            print(f"[{scale}] {spec['label']}: {results[-1]['total']}", flush=True)
    finally:
        stop(server, worker)
    return {"scale": scale, "data": data, "profiled": profiled, "results": results, "seconds": seconds}


# --- The report ------------------------------------------------------------------------------------------------


def markdown(measured: list[dict], command: str) -> str:
    first = measured[0]
    when = datetime.fromisoformat(first["measured_at"])
    lines = [
        f"### {when:%Y-%m-%d %H:%M} UTC — issue 14 scenario, {USERS} users, {first['seconds']} s per pass",
        "",
        f"Machine: nproc {os.cpu_count()} ({platform.processor() or platform.machine()}), PostgreSQL, Redis, "
        f"RabbitMQ, the reference worker and Locust (FastHttpUser) on the same host, Python "
        f"{platform.python_version()}. gunicorn gthread {WORKERS} workers × {THREADS} threads, DEBUG off, "
        f"pool max {THREADS + 2}.",
        "",
        f"Command: `{command}`",
        "",
    ]
    for scale in measured:
        lines += scale_markdown(scale)
    lines += verdicts(measured)
    return "\n".join(lines) + "\n"


def scale_markdown(scale: dict) -> list[str]:
    results = {result["label"]: result for result in scale["results"]}
    bare = results["bare"]["total"]
    lines = [
        f"#### {scale['scale']}: {scale['data']}",
        "",
        "Load average (1 min) before each pass: "
        + ", ".join(f"{r['label']} {r['loadavg'][0]:.2f}" for r in scale["results"]) + ".",
        "",
        "| pass | page | requests | failures | req/s | ratio to bare | p50 ms | p95 ms | p99 ms |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in scale["results"]:
        if result["total"] is None:
            lines.append(f"| {result['label']} | (no request) | 0 | | | | | | |")
            continue
        for row in [*sorted(result["endpoints"], key=lambda row: row["name"]), result["total"]]:
            name = f"**{row['name']}**" if row is result["total"] else row["name"]
            lines.append(
                f"| {result['label']} | {name} | {row['requests']} | {row['failures']} | {row['rps']:.1f} "
                f"| {row['rps'] / bare['rps']:.3f} | {row['p50']} | {row['p95']} | {row['p99']} |"
            )
    lines += [
        "",
        f"Each request once warm, in-process, then 5 times (DEBUG off, page cache off): queries (**bold** over "
        f"{MAX_QUERIES}), SQL and total time (medians), the slowest query (**bold** over {SLOW_QUERY_MS} ms).",
        "",
        "| page | status | queries | SQL ms | total ms | slowest query ms | slowest query |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in scale["profiled"]:
        limit = QUERY_LIMITS.get(row["name"], MAX_QUERIES)
        queries = f"**{row['queries']}**" if limit is not None and row["queries"] > limit else str(row["queries"])
        slowest = f"**{row['slowest_ms']:.1f}**" if row["slowest_ms"] > SLOW_QUERY_MS else f"{row['slowest_ms']:.1f}"
        sql = row["slowest"].replace("|", "\\|")
        lines.append(
            f"| {row['name']} | {row['status']} | {queries} | {row['sql_ms']:.1f} | {row['total_ms']:.1f} "
            f"| {slowest} | `{sql}` |"
        )
    return [*lines, ""]


def ratios(scale: dict) -> dict[str, float]:
    """The page's req/s in its single-page pass over bare's: its capacity against this server's ceiling (the
    signed-in pass also logs its users in, which the page's own figure leaves out)."""
    results = {result["label"]: result for result in scale["results"]}
    bare = results["bare"]["total"]["rps"]
    single = {"catalog": "catalog only, anonymous", "feed": "feed only, anonymous",
              "feed (signed in)": "feed only, signed in"}
    return {
        page: next((row["rps"] for row in results[label]["endpoints"] if row["name"] == page), 0) / bare
        for page, label in single.items()
    }


def verdicts(measured: list[dict]) -> list[str]:
    def mark(ok: bool) -> str:
        return "met" if ok else "MISSED"

    lines = ["Targets of issue 14:", ""]
    for scale in measured:
        target = next(r for r in scale["results"] if r["label"].startswith("target"))
        rows = target["endpoints"]
        worst = max(rows, key=lambda row: row["p95"]) if rows else {"name": "-", "p95": 0}
        failures = target["total"]["failures"] if target["total"] else 0
        ok = bool(rows) and worst["p95"] < TARGET_P95_MS and failures == 0
        lines.append(
            f"- {scale['scale']}, p95 < {TARGET_P95_MS} ms on every page at {USERS} users with 1 s think time, "
            f"zero errors: worst p95 {worst['p95']} ms ({worst['name']}), {failures} failures — {mark(ok)}."
        )
        for page, ratio in ratios(scale).items():
            lines.append(
                f"- {scale['scale']}, {page} first page >= {TARGET_RATIOS[page]:.2f} of bare: {ratio:.3f} — "
                f"{mark(ratio >= TARGET_RATIOS[page])}."
            )
        slow = [row for row in scale["profiled"] if row["slowest_ms"] > SLOW_QUERY_MS]
        lines.append(
            f"- {scale['scale']}, no query over {SLOW_QUERY_MS} ms: "
            + (", ".join(f"{row['name']} {row['slowest_ms']:.1f} ms" for row in slow) or "none")
            + f" — {mark(not slow)}."
        )
    counts = [{row["name"]: row["queries"] for row in scale["profiled"]} for scale in measured]
    pages = [{name: n for name, n in count.items() if name not in QUERY_LIMITS} for count in counts]
    over = sorted({name for count in pages for name, n in count.items() if n > MAX_QUERIES})
    differ = sorted({name for name in counts[0] if any(count.get(name) != counts[0][name] for count in counts)})
    lines.append(
        f"- <= {MAX_QUERIES} queries per page, identical at "
        + " and ".join(scale["scale"] for scale in measured)
        + f": over {MAX_QUERIES}: {', '.join(over) or 'none'}; different: {', '.join(differ) or 'none'} — "
        + f"{mark(not over and not differ)}."
    )
    for name, limit in QUERY_LIMITS.items():
        most = max(count.get(name, 0) for count in counts)
        judged = f"<= {limit}: {mark(most <= limit)}" if limit is not None else "no target, reported"
        lines.append(f"- {name}: {most} queries at most — {judged}.")
    return [*lines, ""]


def record(section: str) -> None:
    """Rewrite the section's introduction, keep its older runs, add this one at its end."""
    old = read_section(HEADING)
    runs = old[old.find("\n### ") + 1:] if "\n### " in old else ""
    write_section(HEADING, INTRO + "\n" + (runs.rstrip("\n") + "\n\n" if runs else "") + section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scales", default="1k,100k", help="comma-separated seed_scale scales (default 1k,100k)")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--no-record", action="store_true", help="print only; leave docs/performance.md alone")
    parser.add_argument("--report-only", action="store_true",
                        help="write the report from the last run's saved results (var/bench-web/<scale>/result.json)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: one scale, in a child process
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.measure:
        result = measure_scale(args.measure, args.seconds, args.port)
        (OUT / args.measure / "result.json").write_text(json.dumps(result, indent=2))
        return
    measured = []
    for scale in args.scales.split(","):
        if not args.report_only:
            subprocess.run(
                [sys.executable, __file__, "--measure", scale, "--seconds", str(args.seconds), "--port",
                 str(args.port)], cwd=ROOT, check=True,
            )
        saved = OUT / scale / "result.json"
        measured.append({"measured_at": datetime.fromtimestamp(saved.stat().st_mtime, UTC).isoformat(),
                         **json.loads(saved.read_text())})
    arguments = [argument for argument in sys.argv[1:] if argument != "--report-only"]
    command = "DATABASE_URL=... REDIS_URL=... AMQP_URL=... .venv/bin/python bench/web/run.py " + " ".join(arguments)
    section = markdown(measured, command.strip())
    print(section)
    if not args.no_record:
        record(section)


if __name__ == "__main__":
    main()
