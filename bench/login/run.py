"""A login's CPU under each password hasher the settings accept: check_password alone and the whole login POST.

Usage, from the repository root, against a PostgreSQL server (only the server is used: the script creates a
dedicated database `atelier_bench_login` on it if missing, migrates it and empties it):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atelier .venv/bin/python bench/login/run.py
    ... bench/login/run.py --logins 20 --no-record

With config.settings (production's PASSWORD_HASHERS, DEBUG off), for each hasher in that list on its own:
--logins check_password calls on one stored hash, then --logins sequential login POSTs through Django's test
Client (allauth's form, the session, the rate-limit counters), each from a new client and client IP, timed for
this process's CPU (time.process_time) and wall time. Then the switch itself: users whose stored hash is the old
PBKDF2 one log in under the full list (PBKDF2 verifies, argon2id rehashes and saves), once each. The table is
printed and, unless --no-record, written to docs/performance.md under "Logins: password hashing".
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.django_env import setup_django as bench_django  # noqa: E402
from bench.pgdb import create_bench_database  # noqa: E402
from bench.report import REPORT, write_section  # noqa: E402

HEADING = "## Logins: password hashing"
BENCH_DB = "atelier_bench_login"
PASSWORD = "correct-horse-battery-staple"
COMMAND = "DATABASE_URL=postgres://postgres@127.0.0.1:5432/atelier .venv/bin/python bench/login/run.py"


def setup_django() -> None:
    os.environ["DATABASE_URL"] = create_bench_database(BENCH_DB, script="bench/login/run.py")[0]
    bench_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)


def timed(action, count: int) -> dict:
    """Run action(n) for n in range(count): CPU ms per call (median), wall ms per call (median), total wall s."""
    cpu, wall = [], []
    started = time.perf_counter()
    for n in range(count):
        wall_0, cpu_0 = time.perf_counter(), time.process_time()
        action(n)
        cpu.append((time.process_time() - cpu_0) * 1000)
        wall.append((time.perf_counter() - wall_0) * 1000)
    return {"cpu": statistics.median(cpu), "wall": statistics.median(wall), "total": time.perf_counter() - started}


def log_in(email: str, n: int) -> None:
    from django.test import Client
    from django.urls import reverse

    client = Client(REMOTE_ADDR=f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}")  # allauth: 30 logins/m per IP
    response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" in client.session, f"{email} did not log in"


def measure_hasher(path: str, logins: int) -> dict:
    from django.contrib.auth.hashers import check_password, get_hasher
    from django.test import override_settings

    from marketplace.accounts.models import User

    with override_settings(PASSWORD_HASHERS=[path]):
        hasher = get_hasher()
        email = f"{hasher.algorithm}@bench.invalid"
        user = User.objects.create_user(username=hasher.algorithm, email=email, password=PASSWORD)
        log_in(email, 0)  # warm-up: imports, templates, the first connection
        check = timed(lambda n: check_password(PASSWORD, user.password), logins)
        login = timed(lambda n: log_in(email, n), logins)
    return {"label": path.rsplit(".", 1)[1], "summary": f"`{hash_summary(user.password)}`", "check": check,
            "login": login}


def measure_upgrade(old_path: str, logins: int) -> dict:
    """Users with an old-hasher hash log in under the full list: verify with the old one, rehash with the first."""
    from django.conf import settings
    from django.contrib.auth.hashers import get_hasher, make_password
    from django.test import override_settings

    from marketplace.accounts.models import User

    with override_settings(PASSWORD_HASHERS=[old_path]):
        old_hash = make_password(PASSWORD)  # one hash shared by every user: the verify costs the same
    User.objects.bulk_create(
        User(username=f"old{n}", email=f"old{n}@bench.invalid", password=old_hash) for n in range(logins)
    )
    login = timed(lambda n: log_in(f"old{n}@bench.invalid", n), logins)
    upgraded = User.objects.filter(username__startswith="old", password__startswith=get_hasher().algorithm).count()
    assert upgraded == logins, f"only {upgraded} of {logins} hashes were upgraded"
    label = f"{old_path.rsplit('.', 1)[1]} hash, first login under {settings.PASSWORD_HASHERS[0].rsplit('.', 1)[1]}"
    summary = f"`{hash_summary(old_hash)}` rehashed to `{hash_summary(User.objects.get(username='old0').password)}`"
    return {"label": label, "summary": summary, "check": None, "login": login}


def hash_summary(encoded: str) -> str:
    """The stored hash's algorithm and cost parameters, without salt or digest."""
    parts = encoded.split("$")
    return "$".join(parts[:4] if parts[0] == "argon2" else parts[:2])


def section(results: list[dict], logins: int, *, before: dict, after: dict, load_before: tuple) -> str:
    from django.db import connection

    version = connection.cursor().connection.info.server_version
    load = "; ".join(", ".join(f"{n:.2f}" for n in loads) for loads in (load_before, os.getloadavg()))
    rows = []
    for r in results:
        check = f"{r['check']['cpu']:.1f}" if r["check"] else "–"
        login = r["login"]
        rows.append(f"| {r['label']} | {r['summary']} | {check} | {login['cpu']:.1f} | {login['wall']:.1f} "
                    f"| {login['total']:.2f} |")
    table = "\n".join(rows)
    cpu_before, cpu_after = before["login"]["cpu"], after["login"]["cpu"]
    return f"""{HEADING}

Command: `{COMMAND}`
(`--logins N`, default 100; `--no-record` to leave this file alone).

Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()} ({os.cpu_count()} cores, shared with other work:
load average before and after the run {load}), PostgreSQL {version // 10000}.{version % 10000},
Python {platform.python_version()}, config.settings with DEBUG off, in-process through Django's test Client,
one login at a time. Each hasher of PASSWORD_HASHERS on its own: {logins} `check_password` calls, then {logins}
login POSTs (allauth's form, session, rate-limit counters), each from a new client; CPU is this process's
time.process_time per call (median), which the machine's other load hardly changes; wall times rise with that
load. The last row is the switch: {logins} users with a PBKDF2 hash log in once each under the full list, which
verifies with PBKDF2 and saves an argon2id hash (Django's must_update), so the old cost is paid once per user.

| hasher | stored hash | check_password CPU ms | login CPU ms | login wall ms (median) | {logins} logins, wall s |
| --- | --- | ---: | ---: | ---: | ---: |
{table}

A login costs {cpu_after:.0f} ms of CPU instead of {cpu_before:.0f} ms ({cpu_after / cpu_before:.2f} of it), and
{logins} sequential logins took {after["login"]["total"]:.1f} s instead of {before["login"]["total"]:.1f} s.
PBKDF2 was Django's default (1,500,000 iterations of HMAC-SHA256); argon2id runs at OWASP's recommended minimum,
19 MiB, 2 passes, 1 lane (marketplace/accounts/hashers.py says why that one of OWASP's equal-strength settings).
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--logins", type=int, default=100, help="logins (and check_password calls) per hasher")
    parser.add_argument("--no-record", action="store_true", help="print only; leave docs/performance.md alone")
    args = parser.parse_args()
    load_before = os.getloadavg()
    setup_django()
    from django.conf import settings

    # The old hashers first (before), then the one new passwords get (after), then the switch between them.
    results = [measure_hasher(path, args.logins) for path in reversed(settings.PASSWORD_HASHERS)]
    results += [measure_upgrade(path, args.logins) for path in settings.PASSWORD_HASHERS[1:]]
    before, after = results[0], results[len(settings.PASSWORD_HASHERS) - 1]
    text = section(results, args.logins, before=before, after=after, load_before=load_before)
    print(text)
    if not args.no_record:
        write_section(HEADING, text)
        print(f"written to {REPORT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
