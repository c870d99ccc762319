"""Generation submits per second over HTTP: ledger debit + outbox row + publish to RabbitMQ, nothing lost.

Usage, from the repository root, against PostgreSQL, Redis and RabbitMQ:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atelier REDIS_URL=redis://127.0.0.1:6379/8 \
    AMQP_URL=amqp://guest:guest@127.0.0.1:5672/%2F .venv/bin/python bench/submit/run.py \
        [--seconds 20] [--clients 16] [--buyers 400] [--passes http service] [--no-record]

Only the servers are used, never the named database: `atelier_bench_submit` is created if missing, migrated and
emptied (manage.py flush). It seeds --buyers buyers funded through the ledger (ledger_credit) and a few live
styles, signs each buyer in with a session made server-side (no password hashing), then starts gunicorn with DEBUG
off (gthread, 2 workers x 4 threads, 127.0.0.1:8114), whose after-commit sender publishes each outbox message to
RabbitMQ as in production. --clients threads POST the generate form (htmx, as the page does) for --seconds, each
buyer in turn; the production rate limit (30/min per buyer) stands, so there are enough buyers to stay under it.
The service pass (re-seeded) makes the same submits without HTTP: --clients threads call generation_submit in this
process, whose after-commit sender publishes them; it tells the submit path's own cost from Django's and the page's.

The queue name is fixed by the worker protocol and the broker is shared, so no worker runs: a counting consumer
takes this run's messages (those whose webhook_url is on this server) off `image_generation` and leaves every
other message there. Afterwards these must agree: submits answered 200, generations in the database, generation
charges in the ledger, outbox rows sent, and distinct generations received from the queue; no outbox row stays
unsent, and every buyer's balance equals the sum of their ledger rows. The figures are printed and, unless
--no-record, written to docs/performance.md under "Generation submit". Target (issue 14): >= 200 submits/s.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.django_env import setup_django  # noqa: E402
from bench.pgdb import create_bench_database  # noqa: E402
from bench.report import write_section  # noqa: E402

BENCH_DB = "atelier_bench_submit"
HOST, PORT = "127.0.0.1", 8114
SITE = f"http://{HOST}:{PORT}/bench-submit-"
# The run's own SITE_URL, in every message's webhook_url: tells this run's messages from a previous run's.
SITE_URL = SITE + secrets.token_hex(4)
WORKERS, THREADS = 2, 4
STYLES = 4
FUNDING = 100_000
QUEUE = "image_generation"
HEADING = "## Generation submit"
TARGET = 200
CSRF = "b" * 32  # an unmasked CSRF secret: sent as the cookie and echoed in X-CSRFToken
OUT = ROOT / "var" / "bench-submit"
# Kept under the figures on every run; rewrite it when the figures say something else.
FINDINGS = """\
Findings (2026-12-03, a quiet run: the load average above is this benchmark's own clients, server and broker on
2 CPUs). Nothing was lost: in every run the submits answered 200, the generations, the ledger charges and the
outbox rows (all sent) agreed, every balance was the sum of its ledger rows, and with no other consumer on the
queue every message arrived. The service path (charge, outbox row, publish) reaches the target's 200/s; over
HTTP it is about half of it, and the target is not met there: a submit over HTTP costs about 12 ms of CPU
in-process (bench/web/run.py's profile: 11 queries, most of the time in rendering the answer, the new job card
and a fresh form in `generations/submitted.html`, then sessions, middleware and the rate limit), and the
clients, gunicorn, PostgreSQL and RabbitMQ share the 2 CPUs.

What changed: the after-commit sender (marketplace/jobs/sender.py, `outbox_send_many`) publishes all that has
piled up since its last pass in one batch: claim, read back and record take three statements per batch instead
of three per message (each publish still waits for the broker's confirm). Before, the sender fell behind: after
a 10 s service pass (8 threads, ~100 submits/s) it needed 8.5 s more to send the rest; after, 1.0 s. Tried and
not kept: locking the style FOR SHARE instead of FOR UPDATE in `generation_submit` (no measurable change with 4
styles). Left: the answer's render and the HTTP layer are most of a POST; reaching 200/s needs more cores or a
cheaper answer (e.g. the job card alone, the form reset in the page).
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--buyers", type=int, default=400)
    parser.add_argument("--passes", nargs="+", choices=("http", "service"), default=["http", "service"])
    parser.add_argument("--no-record", action="store_true", help="print only; leave docs/performance.md alone")
    return parser.parse_args()


def server_env(database_url: str) -> dict[str, str]:
    """Production-like: DEBUG off with every variable it requires, RabbitMQ, no embedded worker, quiet logs."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-submit-not-secret-0123456789abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": HOST,
        "SITE_URL": SITE_URL,
        "DATABASE_URL": database_url,
        "INTERNAL_API_TOKEN": "bench-submit-token",
        "WORKER_WEBHOOK_SECRETS": "bench-submit-webhook-secret",
        "SECURE_SSL_REDIRECT": "false",
        "EMBEDDED_WORKER": "false",
        "IN_PROCESS_DISPATCHER": "false",
        "GUNICORN_THREADS": str(THREADS),
        "STATIC_ROOT": str(OUT / "static"),
        "LOG_LEVEL": "WARNING",
    }


def seed(buyers: int) -> tuple[list[dict], list[dict]]:
    """Buyers funded through the ledger, each with a session; live styles. Returns (clients, styles)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.utils import timezone

    from marketplace.accounts.models import User
    from marketplace.generations.pricing import generation_cost
    from marketplace.ledger.models import LedgerEntry
    from marketplace.ledger.services import ledger_credit
    from marketplace.styles.models import Style

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    artist = User(username="artist", email="artist@bench.invalid", role=User.Role.ARTIST)
    artist.set_unusable_password()
    artist.save()
    styles = Style.objects.bulk_create([
        Style(
            artist=artist, name=f"Style {n}", slug=f"style-{n}", training_status=Style.Status.COMPLETED,
            training_progress=100, model_path=f"models/bench-{n}.safetensors", price_per_generation=3 + n,
            commercial_use=True, credit_required=False, trained_at=timezone.now(),
        )
        for n in range(STYLES)
    ])
    users = [User(username=f"buyer{n}", email=f"buyer{n}@bench.invalid") for n in range(buyers)]
    for user in users:
        user.set_unusable_password()
    users = User.objects.bulk_create(users)
    clients = []
    for user in users:
        ledger_credit(
            user_id=user.pk, amount=FUNDING, kind=LedgerEntry.Kind.PURCHASE, reason="Bench funding",
            idempotency_key=f"bench:{user.pk}",
        )
        user.refresh_from_db()
        session = SessionStore()
        session.update({
            SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        })
        session.create()
        clients.append({
            "user_id": user.pk,
            "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.CSRF_COOKIE_NAME}={CSRF}",
        })
    return clients, [
        {"id": style.pk, "cost": generation_cost(price_per_generation=style.price_per_generation, aspect_ratio="1:1")}
        for style in styles
    ]


def start_server(env: dict[str, str]) -> subprocess.Popen:
    OUT.mkdir(parents=True, exist_ok=True)
    log = (OUT / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"), "config.wsgi:application", "--bind", f"{HOST}:{PORT}",
            "--worker-class", "gthread", "--workers", str(WORKERS), "--threads", str(THREADS),
            "--log-level", "warning",
        ],
        # gunicorn.conf.py in the working directory logs every request, as in production: kept out of the output.
        # Its worker recycling (every ~2,000 requests) is off: at these rates it restarts Django every few seconds.
        cwd=ROOT, env={**env, "GUNICORN_MAX_REQUESTS": "0"}, stdout=log, stderr=subprocess.STDOUT,
    )
    for _ in range(100):
        try:
            connection = http.client.HTTPConnection(HOST, PORT, timeout=1)
            connection.request("GET", "/api/health")
            connection.getresponse().read()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit(f"gunicorn did not answer on {HOST}:{PORT}")


class CountingConsumer(threading.Thread):
    """Takes this run's messages off the shared queue (acked, counted by generation id); others stay queued.

Earlier runs' messages (an earlier SITE_URL of this benchmark) are taken off too, uncounted.

It also notes any other consumer on the queue: one would take a share of this run's messages.

    Another process's messages are held unacked and go back to the queue when the channel closes, so they are
    not redelivered to this consumer in a loop.
    """

    def __init__(self, url: str) -> None:
        super().__init__(name="bench-counting-consumer", daemon=True)
        self.url, self.generation_ids, self.messages, self.foreign, self.stale = url, set(), 0, 0, 0
        self.other_consumers = 0  # the most consumers besides this one seen on the queue (they take a share)
        self.last_at = time.monotonic()
        self._stop = threading.Event()
        self.ready = threading.Event()

    def run(self) -> None:
        import pika

        connection = pika.BlockingConnection(pika.URLParameters(self.url))
        channel = connection.channel()
        channel.queue_declare(queue=QUEUE, durable=True)
        channel.basic_qos(prefetch_count=0)
        watch = connection.channel()
        self.ready.set()
        checked = 0.0
        for method, _properties, body in channel.consume(QUEUE, inactivity_timeout=0.2):
            if self._stop.is_set():
                break
            if time.monotonic() - checked > 0.5:
                consumers = watch.queue_declare(queue=QUEUE, durable=True, passive=True).method.consumer_count
                self.other_consumers, checked = max(self.other_consumers, consumers - 1), time.monotonic()
            if method is None:
                continue
            payload = json.loads(body)
            webhook_url = str(payload.get("webhook_url", ""))
            if webhook_url.startswith(SITE_URL + "/"):
                self.messages += 1
                self.generation_ids.add(payload["generation_id"])
                self.last_at = time.monotonic()
                channel.basic_ack(method.delivery_tag)
            elif webhook_url.startswith(SITE):  # an earlier run's, back in the queue after another consumer died
                self.stale += 1
                channel.basic_ack(method.delivery_tag)
            else:
                self.foreign += 1
        connection.close()  # the foreign messages, unacked, go back to the queue

    def stop(self) -> None:
        self._stop.set()
        self.join(timeout=10)


def drive(clients: list[dict], styles: list[dict], *, threads: int, seconds: float) -> dict:
    """`threads` keep-alive connections POST the generate form for `seconds`, taking buyers in turn."""
    turn = itertools.cycle(range(len(clients)))
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.monotonic() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection(HOST, PORT, timeout=30)
        n = 0
        while time.monotonic() < deadline:
            with lock:
                index = next(turn)
            style = styles[index % len(styles)]
            n += 1
            body = (
                f"style={style['id']}&tags=lighthouse%2C+dusk%2C+rain&aspect_ratio=1%3A1&seed={n}"
                f"&request_key={uuid.uuid4()}&quoted_cost={style['cost']}"
            )
            headers = {
                "Cookie": clients[index]["cookie"], "X-CSRFToken": CSRF, "HX-Request": "true",
                "Content-Type": "application/x-www-form-urlencoded",
            }
            started = time.perf_counter()
            try:
                connection.request("POST", "/generate/", body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(HOST, PORT, timeout=30)
                status = 0
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
        connection.close()

    workers = [threading.Thread(target=client) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return {"seconds": time.perf_counter() - started, "latencies": latencies, "statuses": statuses}


def drive_service(clients: list[dict], styles: list[dict], *, threads: int, seconds: float) -> dict:
    """The same submits without HTTP: `threads` threads call generation_submit, this process's sender publishes."""
    from django.db import close_old_connections

    from marketplace.accounts.models import User
    from marketplace.generations.services import generation_submit

    users = {user.pk: user for user in User.objects.filter(pk__in=[client["user_id"] for client in clients])}
    turn = itertools.cycle(range(len(clients)))
    lock = threading.Lock()
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    def client() -> None:
        n = 0
        while time.monotonic() < deadline:
            with lock:
                index = next(turn)
            style = styles[index % len(styles)]
            n += 1
            started = time.perf_counter()
            generation_submit(
                user=users[clients[index]["user_id"]], style_id=style["id"], prompt_tags=["lighthouse", "dusk", "rain"],
                aspect_ratio="1:1", seed=n, request_key=uuid.uuid4(), quoted_cost=style["cost"],
            )
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
        close_old_connections()

    workers = [threading.Thread(target=client) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return {"seconds": time.perf_counter() - started, "latencies": latencies, "statuses": {200: len(latencies)}}


def wait_for_outbox(consumer: CountingConsumer, timeout: float = 60.0) -> float:
    """Seconds until no outbox row is unsent and the consumer has seen nothing new for 2 s."""
    from marketplace.jobs.models import OutboxMessage

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        unsent = OutboxMessage.objects.filter(sent_at__isnull=True).exists()
        if not unsent and time.monotonic() - consumer.last_at > 2:
            break
        time.sleep(0.5)
    return time.monotonic() - started


def tally(consumer: CountingConsumer) -> dict:
    """What the database and the queue hold after the run, and the accounts that do not add up."""
    from django.db import connection

    from marketplace.generations.models import Generation
    from marketplace.jobs.models import OutboxMessage
    from marketplace.ledger.models import LedgerEntry

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM accounts_user u LEFT JOIN ("
            "  SELECT user_id, sum(amount) AS total FROM ledger_ledgerentry GROUP BY user_id"
            ") l ON l.user_id = u.id WHERE u.token_balance <> coalesce(l.total, 0) OR u.token_balance < 0"
        )
        (unbalanced,) = cursor.fetchone()
    generation_ids = set(Generation.objects.values_list("pk", flat=True))
    return {
        "generations": len(generation_ids),
        "charges": LedgerEntry.objects.filter(kind=LedgerEntry.Kind.CONSUME, generation__isnull=False).count(),
        "outbox": OutboxMessage.objects.filter(queue=QUEUE).count(),
        "outbox_sent": OutboxMessage.objects.filter(queue=QUEUE, sent_at__isnull=False).count(),
        "outbox_unsent": OutboxMessage.objects.filter(sent_at__isnull=True).count(),
        "queue_messages": consumer.messages,
        "queue_generations": len(consumer.generation_ids),
        "queue_missing": len(generation_ids - consumer.generation_ids),
        "queue_unknown": len(consumer.generation_ids - generation_ids),
        "unbalanced_accounts": unbalanced,
        "other_consumers": consumer.other_consumers,
    }


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100)[p - 1] * 1000


def agrees(load: dict, counts: dict) -> bool:
    ok = load["statuses"].get(200, 0)
    return (
        ok == counts["generations"] == counts["charges"] == counts["outbox"] == counts["outbox_sent"]
        == counts["queue_generations"]
        and counts["outbox_unsent"] == counts["queue_missing"] == counts["queue_unknown"] == 0
        and counts["unbalanced_accounts"] == 0
    )


def report(args: argparse.Namespace, passes: list[dict]) -> str:
    load_average = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    lines = [
        HEADING, "",
        "`bench/submit/run.py` (usage in its docstring) POSTs the generate form (htmx) to gunicorn with DEBUG off",
        f"({WORKERS} workers x {THREADS} threads) from {args.clients} keep-alive clients for {args.seconds:.0f} s, "
        f"{args.buyers} buyers funded through the",
        "ledger taking turns (the production rate limit, 30/min per buyer, stands), each submit charging the buyer",
        "and writing the outbox row in one transaction; each process's after-commit sender publishes to RabbitMQ",
        "(persistent, confirmed) as in production. A counting consumer takes this run's messages off the queue.",
        "The service pass makes the same submits without HTTP: as many threads call `generation_submit` in one",
        "process, whose sender publishes them. Target (issue 14): >= 200 submits/s with nothing lost.",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} ({os.cpu_count()} CPUs, load average "
        f"{load_average} at the end, machine shared with other work), Python {platform.python_version()}.",
        "",
        "| pass | submits/s | p50 ms | p95 ms | p99 ms | responses |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for run in passes:
        load = run["load"]
        statuses = ", ".join(f"{status or 'error'}: {n}" for status, n in sorted(load["statuses"].items()))
        lines.append(
            f"| {run['name']} | {load['statuses'].get(200, 0) / load['seconds']:.1f} | "
            f"{percentile(load['latencies'], 50):.0f} | {percentile(load['latencies'], 95):.0f} | "
            f"{percentile(load['latencies'], 99):.0f} | {statuses} |"
        )
    lines += [
        "",
        "Afterwards, once the outbox had drained (the seconds after the load stopped):",
        "",
        "| pass | drained s | submitted | generations | ledger charges | outbox rows | sent | unsent | "
        "from the queue | missing from the queue | other consumers | unbalanced accounts | all agree |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in passes:
        counts = run["counts"]
        lines.append(
            f"| {run['name']} | {run['drain']:.1f} | {run['load']['statuses'].get(200, 0)} | {counts['generations']} | "
            f"{counts['charges']} | {counts['outbox']} | {counts['outbox_sent']} | {counts['outbox_unsent']} | "
            f"{counts['queue_generations']} ({counts['queue_messages']} messages) | {counts['queue_missing']} | "
            f"{counts['other_consumers']} | {counts['unbalanced_accounts']} | {'yes' if run['agree'] else 'NO'} |"
        )
    lines += [
        "",
        "The queue is the worker protocol's `image_generation` on a broker shared with other work: another consumer",
        "on it (\"other consumers\" > 0) takes a share of the messages, which then show as missing from the queue",
        "although the broker confirmed them.",
        "",
        FINDINGS,
    ]
    return "\n".join(lines)


def run_pass(name: str, args: argparse.Namespace, env: dict[str, str], amqp_url: str) -> dict:
    """Seed afresh, submit for --seconds over HTTP ("http") or in this process ("service"), then count."""
    clients, styles = seed(args.buyers)
    consumer = CountingConsumer(amqp_url)
    consumer.start()
    consumer.ready.wait(10)
    if name == "http":
        server = start_server(env)
        try:
            load = drive(clients, styles, threads=args.clients, seconds=args.seconds)
            drain = wait_for_outbox(consumer)
        finally:
            server.terminate()
            server.wait(timeout=30)
    else:
        load = drive_service(clients, styles, threads=args.clients, seconds=args.seconds)
        drain = wait_for_outbox(consumer)
    consumer.stop()
    counts = tally(consumer)
    print(f"{name}: held back {consumer.foreign} deliveries of other processes' messages (back in the queue);"
          f" removed {consumer.stale} of earlier runs")
    return {"name": name, "load": load, "counts": counts, "drain": drain, "agree": agrees(load, counts)}


def main() -> None:
    args = parse_args()
    database_url, _server = create_bench_database(BENCH_DB, script="bench/submit/run.py")
    amqp_url = os.environ.get("AMQP_URL") or sys.exit("bench/submit/run.py publishes to RabbitMQ: set AMQP_URL")
    env = server_env(database_url)
    # This process submits in the service pass: its database pool covers the clients and its sender.
    setup_django(**{key: env[key] for key in ("DATABASE_URL", "SITE_URL", "SECRET_KEY", "WORKER_WEBHOOK_SECRETS")},
                 DB_POOL_MAX=str(args.clients + 4))
    passes = [run_pass(name, args, env, amqp_url) for name in args.passes]
    section = report(args, passes)
    print(section)
    if not args.no_record:
        write_section(HEADING, section)
    if not all(run["agree"] for run in passes):
        sys.exit(1)


if __name__ == "__main__":
    main()
