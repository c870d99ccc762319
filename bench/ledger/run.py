"""Ledger debits per second: `ledger_debit` against the same work in raw SQL.

Usage, from the repository root, against a PostgreSQL server (SQLite is refused):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atelier .venv/bin/python bench/ledger/run.py
    ... bench/ledger/run.py --clients 16 --seconds 10 --no-record

Only the server in DATABASE_URL is used, never its database: the
script creates a dedicated database `atelier_bench` on it if missing,
migrates it and empties it (manage.py flush) before measuring.

Two workloads, each run for --seconds with --clients threads, every thread
holding its own connection and debiting 7 tokens in a loop:

- own account: each client debits its own account (the normal case);
- one account: all clients debit the same account (worst-case contention).

Each is measured twice in the same run: through `ledger_debit` (the
service: Django ORM, row lock, idempotency lookup, ledger row) and through
a psycopg baseline doing the least work that keeps the same invariant
(conditional UPDATE ... RETURNING, then INSERT of the ledger row, one
transaction). Every account is checked afterwards: balance == sum of its
ledger rows, never negative. The figures are printed and, unless
--no-record, appended to docs/performance.md under "Ledger debits".
Target (issue 3): the service reaches at least half the raw-SQL rate.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.django_env import setup_django as bench_django  # noqa: E402
from bench.pgdb import create_bench_database  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BENCH_DB = "atelier_bench"
DEBIT = 7
FUNDING = 10**9  # far more than any run can spend, so no debit is refused
REPORT = ROOT / "docs" / "performance.md"
HEADING = "## Ledger debits"


@dataclass
class Result:
    workload: str
    implementation: str
    debits: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.debits / self.seconds

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.latencies, n=100)[p - 1] * 1000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--no-record", action="store_true", help="print only; leave docs/performance.md alone")
    return parser.parse_args()


def prepare_database(clients: int) -> str:
    """Point Django at atelier_bench (created if missing) and return its psycopg conninfo."""
    import psycopg

    url, server = create_bench_database(BENCH_DB, script="bench/ledger/run.py")
    os.environ["DATABASE_URL"] = url
    # Each client thread holds one pooled connection for the whole run.
    os.environ["DB_POOL_MAX"] = str(max(clients + 2, int(os.environ.get("DB_POOL_MAX", "0"))))
    return psycopg.conninfo.make_conninfo(dbname=BENCH_DB, **{k: v for k, v in server.items() if v is not None})


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    bench_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)


def make_accounts(count: int, prefix: str) -> list[int]:
    from marketplace.accounts.models import User
    from marketplace.ledger.services import ledger_credit

    ids = []
    for n in range(count):
        user = User.objects.create(username=f"{prefix}{n}", email=f"{prefix}{n}@bench.invalid")
        ledger_credit(user_id=user.pk, amount=FUNDING, kind="purchase", reason="bench", idempotency_key=f"{prefix}{n}")
        ids.append(user.pk)
    return ids


def analyze() -> None:
    """Planner statistics for the accounts just made (autovacuum may be off on the server)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def run_clients(account_ids: list[int], seconds: float, debit_loop) -> tuple[int, float, list[float]]:
    """Start one thread per account id together; return debits, elapsed seconds and latencies."""
    barrier = threading.Barrier(len(account_ids) + 1)
    results: list[tuple[int, list[float]]] = []
    lock = threading.Lock()

    def client(index: int, user_id: int) -> None:
        outcome = debit_loop(index, user_id, barrier, seconds)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=client, args=(i, uid)) for i, uid in enumerate(account_ids)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies = [latency for _, thread_latencies in results for latency in thread_latencies]
    return sum(count for count, _ in results), elapsed, latencies


def service_loop(tag: str):
    def loop(index: int, user_id: int, barrier: threading.Barrier, seconds: float) -> tuple[int, list[float]]:
        from django.db import connection

        from marketplace.ledger.services import ledger_debit

        connection.ensure_connection()
        latencies = []
        try:
            barrier.wait()
            deadline = time.perf_counter() + seconds
            while (start := time.perf_counter()) < deadline:
                key = f"{tag}:{index}:{len(latencies)}"
                ledger_debit(user_id=user_id, amount=DEBIT, reason="bench", idempotency_key=key)
                latencies.append(time.perf_counter() - start)
        finally:
            connection.close()
        return len(latencies), latencies

    return loop


def raw_loop(tag: str, conninfo: str):
    from marketplace.accounts.models import User
    from marketplace.ledger.models import LedgerEntry

    debit = (
        f"UPDATE {User._meta.db_table} SET token_balance = token_balance - %s "
        "WHERE id = %s AND token_balance >= %s RETURNING token_balance"
    )
    append = (
        f"INSERT INTO {LedgerEntry._meta.db_table} "
        "(user_id, kind, amount, balance_after, reason, idempotency_key, created_at) "
        "VALUES (%s, 'consume', %s, %s, 'bench', %s, now())"
    )

    def loop(index: int, user_id: int, barrier: threading.Barrier, seconds: float) -> tuple[int, list[float]]:
        import psycopg

        latencies = []
        with psycopg.connect(conninfo, autocommit=True) as conn:
            barrier.wait()
            deadline = time.perf_counter() + seconds
            while (start := time.perf_counter()) < deadline:
                key = f"{tag}:{index}:{len(latencies)}"
                with conn.transaction():
                    row = conn.execute(debit, [DEBIT, user_id, DEBIT]).fetchone()
                    if row is None:
                        raise RuntimeError("balance exhausted: raise FUNDING")
                    conn.execute(append, [user_id, -DEBIT, row[0], key])
                latencies.append(time.perf_counter() - start)
        return len(latencies), latencies

    return loop


def check_accounts(account_ids: list[int]) -> None:
    from django.db.models import Sum

    from marketplace.accounts.models import User

    for user in User.objects.filter(pk__in=account_ids).annotate(ledger_sum=Sum("ledger_entries__amount")):
        if user.token_balance != user.ledger_sum or user.token_balance < 0:
            sys.exit(f"account {user.pk} broken: balance {user.token_balance}, ledger sum {user.ledger_sum}")


def measure(workload: str, implementation: str, account_ids: list[int], seconds: float, loop) -> Result:
    debits, elapsed, latencies = run_clients(account_ids, seconds, loop)
    check_accounts(set(account_ids))
    result = Result(workload, implementation, debits, elapsed, latencies)
    print(f"  {workload:<12} {implementation:<13} {result.rate:9.0f} debits/s  "
          f"p50 {result.percentile(50):6.2f} ms  p95 {result.percentile(95):6.2f} ms", flush=True)
    return result


def machine() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0].split()[0]
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    models = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    cpu = models[0] if models else platform.processor() or "unknown CPU"
    return f"nproc {os.cpu_count()} ({cpu}), PostgreSQL {postgres}, Python {platform.python_version()}"


def record(results: list[Result], args: argparse.Namespace, command: str, about: str) -> None:
    lines = [
        "",
        f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {args.clients} clients, {args.seconds:g} s each",
        "",
        f"Machine: {about}.",
        "",
        f"Command: `{command}`",
        "",
        "| workload | implementation | debits/s | p50 ms | p95 ms | service / raw |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for service, raw in zip(results[::2], results[1::2], strict=True):
        for result in (service, raw):
            ratio = f"{service.rate / raw.rate:.2f}" if result is service else ""
            lines.append(
                f"| {result.workload} | {result.implementation} | {result.rate:.0f} | "
                f"{result.percentile(50):.2f} | {result.percentile(95):.2f} | {ratio} |"
            )
    entry = "\n".join(lines) + "\n"

    text = REPORT.read_text() if REPORT.exists() else "# Performance\n"
    if HEADING not in text:
        text = text.rstrip("\n") + f"\n\n{HEADING}\n\n" + (
            "Produced by `bench/ledger/run.py` (see its docstring). Target: `ledger_debit` reaches at least "
            "half the rate of the raw-SQL baseline (conditional UPDATE + INSERT over psycopg).\n"
        )
    # New runs go at the end of this section, before any heading that follows it.
    start = text.index(HEADING)
    following = text.find("\n## ", start + len(HEADING))
    end = len(text) if following == -1 else following
    text = text[:end].rstrip("\n") + "\n" + entry + text[end:]
    REPORT.write_text(text)
    print(f"Recorded in {REPORT.relative_to(ROOT)}")


def main() -> None:
    args = parse_args()
    given_url = os.environ.get("DATABASE_URL", "")
    conninfo = prepare_database(args.clients)
    setup_django()
    about = machine()
    print(f"Ledger debits, {args.clients} clients, {args.seconds:g} s per measurement; {about}")

    results = []
    own = make_accounts(args.clients, "own")
    shared = make_accounts(1, "shared") * args.clients
    analyze()
    for workload, accounts in (("own account", own), ("one account", shared)):
        results.append(measure(workload, "ledger_debit", accounts, args.seconds, service_loop(f"svc:{workload}")))
        results.append(measure(workload, "raw SQL", accounts, args.seconds, raw_loop(f"raw:{workload}", conninfo)))

    for service, raw in zip(results[::2], results[1::2], strict=True):
        ratio = service.rate / raw.rate
        verdict = "meets" if ratio >= 0.5 else "below"
        print(f"{service.workload}: service / raw = {ratio:.2f} ({verdict} the 0.5 target)")
    if not args.no_record:
        command = " ".join(
            [f"DATABASE_URL={_hide_password(given_url)}", ".venv/bin/python bench/ledger/run.py", *sys.argv[1:]]
        )
        record(results, args, command, about)


def _hide_password(url: str) -> str:
    password = urlsplit(url).password
    return url.replace(f":{password}@", ":***@") if password else url


if __name__ == "__main__":
    main()
