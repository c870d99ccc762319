"""Rate limits (marketplace/core/ratelimit.py): the counting, who is counted, the 429 answers, and the limit
shared by two gunicorn worker processes on Redis. Each limited action has its view tests in its app."""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from marketplace.core import ratelimit
from marketplace.core.ratelimit import Rate, hit, parse_rate, request_identity, retry_text, too_many_requests
from marketplace.core.testing.ratelimit import refused_page

ROOT = Path(django_settings.BASE_DIR)
WINDOW_START = 60 * 1_000  # a minute boundary, in epoch seconds


@pytest.mark.parametrize(
    ("text", "rate"),
    [("30/m", Rate(30, 60)), ("10/h", Rate(10, 3600)), ("5/10m", Rate(5, 600)), (" 1/s ", Rate(1, 1)),
     ("100/d", Rate(100, 86400))],
)
def test_a_rate_reads_as_an_amount_per_period(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["30", "30/x", "thirty/m", "²/m", "5/tenm", "/m"])
def test_a_malformed_rate_says_how_to_write_one(text):
    with pytest.raises(ValueError, match="N/period"):
        parse_rate(text)


def test_every_limited_view_has_a_setting_that_reads():
    import config.urls  # noqa: F401  (imports every view, so every decorated scope is known)

    assert {"generate", "upload", "profile", "comment", "social", "purchase", "worker"} == ratelimit.SCOPES
    assert set(django_settings.RATE_LIMITS) == ratelimit.SCOPES
    for spec in django_settings.RATE_LIMITS.values():
        parse_rate(spec)


def test_n_hits_are_allowed_then_refused_until_the_window_ends():
    rate = Rate(3, 60)
    assert [hit("t", "user:1", rate, now=WINDOW_START + 10 + i) for i in range(3)] == [0, 0, 0]
    assert hit("t", "user:1", rate, now=WINDOW_START + 15) == 45  # seconds to the next window
    assert hit("t", "user:1", rate, now=WINDOW_START + 59.5) == 1
    assert hit("t", "user:1", rate, now=WINDOW_START + 60) == 0  # a new window


def test_people_and_scopes_are_counted_apart():
    rate = Rate(1, 60)
    assert hit("like", "user:1", rate, now=WINDOW_START) == 0
    assert hit("like", "user:1", rate, now=WINDOW_START) > 0
    assert hit("like", "user:2", rate, now=WINDOW_START) == 0
    assert hit("comment", "user:1", rate, now=WINDOW_START) == 0


def test_an_unreachable_cache_lets_requests_through_and_says_so(caplog):
    unreachable = {"default": {
        "BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }}
    # override_settings, not the settings fixture: the cache is back before the autouse cache.clear() teardown.
    with override_settings(CACHES=unreachable), caplog.at_level(logging.WARNING, logger="marketplace.core.ratelimit"):
        assert hit("generate", "user:1", Rate(0, 60)) == 0
    assert "rate limit generate not checked: cache unavailable" in caplog.text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(1, "Try again in 1 second."), (45, "Try again in 45 seconds."), (60, "Try again in 1 minute."),
     (61, "Try again in 2 minutes."), (3599, "Try again in 60 minutes."), (7200, "Try again in 2 hours.")],
)
def test_the_retry_text_rounds_up(seconds, text):
    assert retry_text(seconds) == text


def test_a_worker_is_counted_by_its_job_token_else_its_bearer_token(rf):
    by_job = request_identity(rf.get("/", headers={"Atelier-Job-Token": "job-1", "Authorization": "Bearer b"}), "token")
    other_job = request_identity(rf.get("/", headers={"Atelier-Job-Token": "job-2"}), "token")
    by_bearer = request_identity(rf.get("/", headers={"Authorization": "Bearer b"}), "token")
    assert len({by_job, other_job, by_bearer}) == 3 and all(i.startswith("token:") for i in (by_job, by_bearer))
    assert "job-1" not in by_job  # only a hash of the credential reaches the cache (and the log)


def test_without_a_user_the_ip_counts_as_allauth_sees_it(rf, settings):
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/", REMOTE_ADDR="10.0.0.9", headers={"X-Forwarded-For": "203.0.113.7, 198.51.100.2"})
    request.user = AnonymousUser()
    assert request_identity(request, "user") == "ip:10.0.0.9"  # no trusted proxy: the header is the client's word
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    assert request_identity(request, "user") == "ip:198.51.100.2"  # the address our one proxy saw


@pytest.mark.django_db
def test_the_page_says_when_to_retry_and_links_back_only_to_this_site(rf, user):
    request = rf.post("/styles/new/", headers={"Referer": "http://testserver/studio/new/"})
    request.user, request.htmx = user, False
    response = too_many_requests(request, 125)
    assert refused_page(response) == "Try again in 3 minutes."
    assert response["Retry-After"] == "125" and "no-store" in response["Cache-Control"]
    assert 'href="http://testserver/studio/new/"' in response.content.decode()

    request = rf.post("/styles/new/", headers={"Referer": "https://evil.example/"})
    request.user, request.htmx = user, False
    assert "evil.example" not in too_many_requests(request, 5).content.decode()


# --- Two gunicorn worker processes, one Redis ---------------------------------------------------------------

LIMIT = 12  # an even number: each of the two processes lets half of them through
PAIRS = 9
PROBE = "/api/no-such-endpoint"
SECRET = "whsec_" + "dHdvLXdvcmtlcnMtb25lLWNvdW50"  # the Standard Webhooks form of a secret


@pytest.fixture
def gunicorn_two_workers(transactional_db, tmp_path):
    """gunicorn with the project's gunicorn.conf.py and two worker processes, on the test database (committed
    rows: transactional_db) and the test's Redis; its access log names the process that served each request."""
    if connection.vendor != "postgresql" or not django_settings.REDIS_URL or "DATABASE_URL" not in os.environ:
        pytest.skip("needs PostgreSQL and Redis: set DATABASE_URL=postgres://... and REDIS_URL")
    db = connection.settings_dict
    port = _free_port()
    access_log = tmp_path / "access.log"
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"AMQP_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}},
        "DJANGO_SETTINGS_MODULE": "config.settings", "RATE_LIMIT_WORKER": f"{LIMIT}/h",
        "DATABASE_URL": urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{db['NAME']}")),
        "REDIS_URL": django_settings.REDIS_URL, "SECRET_KEY": django_settings.SECRET_KEY,
        "WORKER_WEBHOOK_SECRETS": SECRET, "WORKER_ACCEPT_BEARER": "false",
        "EMBEDDED_WORKER": "false", "IN_PROCESS_DISPATCHER": "false", "VAR_DIR": str(tmp_path / "var"),
        "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "1", "GUNICORN_BIND": f"127.0.0.1:{port}",
    }
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115  (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "config.wsgi",
         # One connection at a time per process: a busy one leaves the next to the other (else one gthread
         # process, always first to wake, takes every connection of a short test).
         "--worker-connections", "1",
         "--access-logfile", str(access_log), "--access-logformat", "%(p)s %(s)s %(m)s %(U)s"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_workers(port, process, tmp_path / "gunicorn.log", access_log)
        yield {"port": port, "access_log": access_log}
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_workers(port: int, process: subprocess.Popen, log: Path, access_log: Path, seconds: float = 60) -> None:
    """Until both processes have answered: "Booting worker" is logged before a process has loaded Django."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            # An unknown API path: a JSON 404 from Django, no database, not limited, not in the counted log lines.
            _pair(port, PROBE, dict)
        except OSError:
            time.sleep(0.3)
            continue
        if len({pid for pid, _code, _path in _access_lines(access_log) if _path == PROBE}) == 2:
            return
        time.sleep(0.2)
    raise AssertionError("gunicorn did not start two workers:\n" + log.read_text())


def _pair(port: int, path: str, headers) -> list[tuple[int, dict, bytes]]:
    """GET `path` on two connections opened before either sends: the process that accepts one is then full
    (--worker-connections 1), so the other process, once it is serving, accepts the other."""
    pair = [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in "ab"]
    for conn in pair:
        conn.connect()
    for conn in pair:
        conn.request("GET", path, headers=headers())
    answers = []
    for conn in pair:
        response = conn.getresponse()
        answers.append((response.status, dict(response.getheaders()), response.read()))
        conn.close()
    return answers


def _access_lines(path: Path) -> list[tuple[str, str, str]]:
    """(pid, status, path) per request of gunicorn's access log (format "%(p)s %(s)s %(m)s %(U)s")."""
    lines = [line.split(" ") for line in path.read_text().splitlines()] if path.exists() else []
    return [(parts[0], parts[1], parts[3]) for parts in lines if len(parts) == 4]


def test_two_gunicorn_workers_share_one_count_on_redis(gunicorn_two_workers, make_generation):
    """A worker's status GETs, two at a time: each pair is served by both processes, and together they get
    LIMIT answers, then 429s, as one process alone would give."""
    from marketplace.jobs.signing import GENERATION, job_token
    from worker.signing import signed_headers

    generation = make_generation()
    token = job_token(kind=GENERATION, job_id=generation.pk, style_id=generation.style_id)
    path = reverse("webhooks:image-status", args=[generation.pk])
    port = gunicorn_two_workers["port"]
    seconds_left = 3600 - time.time() % 3600
    if seconds_left < 30:  # the hour's window would end mid-test: start in the next one
        time.sleep(seconds_left + 1)
        seconds_left = 3600

    answers = []
    for _ in range(PAIRS):
        answers += _pair(port, path, lambda: {**signed_headers(SECRET, b""), "Atelier-Job-Token": token})

    assert [status for status, _h, _b in answers] == [200] * LIMIT + [429] * (2 * PAIRS - LIMIT), answers
    for _status, headers, body in answers[LIMIT:]:
        payload = json.loads(body)
        assert payload["code"] == "rate_limited" and 0 < payload["retry_after"] <= seconds_left + 1
        assert headers["Retry-After"] == str(payload["retry_after"])
    served: list[tuple[str, str]] = []
    for _ in range(50):  # a process writes its access line just after it answers
        served = [(pid, code) for pid, code, p in _access_lines(gunicorn_two_workers["access_log"]) if p == path]
        if len(served) == 2 * PAIRS:
            break
        time.sleep(0.2)
    assert [code for _pid, code in served].count("200") == LIMIT
    by_pid = {pid: [code for p, code in served if p == pid] for pid, _code in served}
    assert len(by_pid) == 2, served  # two processes ...
    for codes in by_pid.values():
        assert codes.count("200") == LIMIT // 2 and "429" in codes, served  # ... each let half through


def test_the_env_example_shows_every_scope_with_its_default():
    listed = dict(re.findall(r"^# (RATE_LIMIT_[A-Z]+)=(\S+)$", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert listed == {f"RATE_LIMIT_{scope.upper()}": spec for scope, spec in django_settings.RATE_LIMITS.items()}


def test_a_scope_set_to_empty_is_not_limited(rf, settings):
    from django.http import HttpResponse

    from marketplace.core.testing.ratelimit import tighten

    view = ratelimit.rate_limit("comment", per="ip")(lambda request: HttpResponse("posted"))
    tighten(settings, comment="1/m")
    assert [view(rf.post("/")).status_code for _ in range(2)] == [200, 429]
    tighten(settings, comment="")
    assert view(rf.post("/")).status_code == 200
