"""Issue 14's CI gate: a 20-second smoke load with the real Locust scenario (bench/web/locustfile.py) against
gunicorn with production-like settings (DEBUG off, bench.web.settings) on a small data set in the test
database. Any failed request or any 5xx fails it. The full measurement is bench/web/run.py, not a test."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import make_password
from django.db import connection

from marketplace.accounts.hashers import OWASPArgon2PasswordHasher
from marketplace.core.testing import public_image

pytestmark = pytest.mark.postgres  # a real server on the committed test database: PostgreSQL and Redis

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "bench-password"
SECONDS = 20


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def small_site(transactional_db, make_user, make_style, trained_style, make_generation, fund, tmp_path):
    """A few styles, images, an artist and two buyers who can log in, committed (transactional_db) so that
    gunicorn sees them; returns the targets file the locustfile reads."""
    from marketplace.accounts.models import User

    styles = [trained_style, make_style(name="Night Ink", tags=["ink", "night"]), make_style(name="Dawn")]
    images = [public_image(make_generation, style=styles[n % 3], prompt=f"a fox, snow {n}") for n in range(8)]
    buyers = []
    for n in range(2):
        # The server hashes with argon2 (the tests' MD5 would not verify there).
        buyer = make_user(username=f"buyer{n}", email=f"buyer{n}@bench.invalid")
        User.objects.filter(pk=buyer.pk).update(password=make_password(PASSWORD, hasher=OWASPArgon2PasswordHasher()))
        buyers.append(fund(buyer, 1_000))
    targets = {
        "slugs": [trained_style.slug], "busiest_slug": trained_style.slug, "tags": ["ink", "night", "fox", "snow",
                                                                                  "dawn", "sea"],
        "most_liked_path": images[0].get_absolute_url(),
        "image_paths": [image.get_absolute_url() for image in images],
        "artist_paths": [f"/artists/{trained_style.artist.username}/"],
        "usernames": [buyer.username for buyer in buyers],
        "deep_catalog_cursor": "", "deep_feed_cursor": "",
    }
    path = tmp_path / "targets.json"
    path.write_text(json.dumps(targets))
    return path


@pytest.fixture
def production_server(small_site, tmp_path):
    """gunicorn, DEBUG off, on the test database and Redis; jobs drawn by the embedded reference worker."""
    if connection.vendor != "postgresql" or not django_settings.REDIS_URL or "DATABASE_URL" not in os.environ:
        pytest.skip("needs PostgreSQL and Redis: set DATABASE_URL=postgres://... and REDIS_URL")
    port = _free_port()
    db = connection.settings_dict
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"AMQP_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}},
        "DJANGO_SETTINGS_MODULE": "bench.web.settings", "DEBUG": "false",
        "SECRET_KEY": django_settings.SECRET_KEY, "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}", "INTERNAL_API_TOKEN": "smoke-load-token",
        "SECURE_SSL_REDIRECT": "false", "EMBEDDED_WORKER": "true",
        "DATABASE_URL": urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{db['NAME']}")),
        "REDIS_URL": django_settings.REDIS_URL, "VAR_DIR": str(tmp_path / "var"),
        "MEDIA_ROOT": str(django_settings.MEDIA_ROOT), "STATIC_ROOT": str(tmp_path / "static"),
        "RATE_LIMIT_GENERATE": "", "RATE_LIMIT_COMMENT": "", "RATE_LIMIT_SOCIAL": "",
        "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4", "GUNICORN_BIND": f"127.0.0.1:{port}",
    }
    # DEBUG off serves the hashed names of collectstatic's manifest.
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    access_log = tmp_path / "access.log"
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115  (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "config.wsgi",
         "--access-logfile", str(access_log), "--access-logformat", "%(s)s %(m)s %(U)s"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/bare/", timeout=2)  # noqa: S310
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
                time.sleep(0.3)
        yield {"url": f"http://127.0.0.1:{port}", "env": env, "access_log": access_log}
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(15)
        process.kill()  # nothing left to kill once it has stopped
        log.close()


def test_twenty_seconds_of_visitors_and_buyers_fail_nothing(production_server, small_site, tmp_path):
    stem = tmp_path / "locust"
    locust = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(ROOT / "bench/web/locustfile.py"), "AnonymousUser",
         "SignedInUser", "--headless", "-u", "8", "-r", "8", "-t", f"{SECONDS}s", "--host", production_server["url"],
         "--json-file", str(stem), "--only-summary", "--loglevel", "WARNING"],
        cwd=ROOT, env={**production_server["env"], "BENCH_WEB_WAIT": "0.2", "BENCH_WEB_TARGETS": str(small_site),
                       "BENCH_WEB_POLLS": "5"},
        check=False, capture_output=True, text=True, timeout=SECONDS + 30,
    )
    report = stem.with_suffix(".json")
    assert report.exists(), f"locust wrote no report (exit {locust.returncode}):\n{locust.stderr[-3000:]}"
    entries = json.loads(report.read_text())
    requests = {entry["name"]: entry["num_requests"] for entry in entries}
    failures = {entry["name"]: entry["num_failures"] for entry in entries if entry["num_failures"]}
    statuses = [line.split()[0] for line in production_server["access_log"].read_text().splitlines()]
    server_errors = [line for line in production_server["access_log"].read_text().splitlines() if line[0] == "5"]

    assert not failures, failures
    assert not server_errors, server_errors[:10]
    assert sum(requests.values()) >= 100, requests
    # Both kinds of people were there, the signed-in ones past the login form to pages served to them.
    assert requests.get("feed") and requests.get("login") == 2, requests
    assert sum(n for name, n in requests.items() if name.endswith("(signed in)")), requests
    assert len(statuses) >= sum(requests.values())
