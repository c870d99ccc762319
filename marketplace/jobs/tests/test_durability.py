"""No job lost when a process dies, in the embedded default (make run) and with a broker.

The process tests run the real server (`manage.py runserver --noreload`, which loads
config/wsgi.py like `make run`) on its own SQLite file, as a newcomer would, and kill it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from marketplace.core.testing import wait_until
from marketplace.generations.models import Generation
from marketplace.generations.services import generation_submit
from marketplace.jobs.models import OutboxMessage
from marketplace.jobs.services import MAX_DELIVERIES, outbox_take_up
from marketplace.ledger.models import LedgerEntry

SETUP = textwrap.dedent("""
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from marketplace.core.testing import imagefiles
    from marketplace.generations.services import generation_submit
    from marketplace.ledger.services import ledger_credit
    from marketplace.styles.models import Style
    from worker.signature import dump_signature, learn_signature
    import uuid
    users = get_user_model().objects
    artist = users.create_user(username="lena", email="lena@example.com", password="x", role="artist")
    buyer = users.create_user(username="sam", email="sam@example.com", password="x")
    ledger_credit(user_id=buyer.pk, amount=100, kind="welcome", reason="hi", idempotency_key="w")
    style = Style.objects.create(artist=artist, name="Teal", slug="teal", price_per_generation=2,
                                 commercial_use=True, credit_required=False, training_status="completed")
    style.model_path.save("s.json", ContentFile(dump_signature(learn_signature([imagefiles.png()]))))
    for n in range(4):
        generation_submit(user=buyer, style_id=style.pk, prompt_tags=["fox", str(n)], aspect_ratio="2:2",
                          seed=n, request_key=uuid.uuid4())
""")

REPORT = textwrap.dedent("""
    from marketplace.generations.models import Generation
    from marketplace.ledger.models import LedgerEntry
    statuses = sorted(Generation.objects.values_list("status", flat=True))
    refunds = LedgerEntry.objects.filter(kind="refund").count()
    print("|".join(statuses) or "-", refunds)
""")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def embedded_site(tmp_path):
    """A `make run`-style environment: SQLite under its own VAR_DIR, no broker, the embedded worker."""
    port = free_port()
    env = {
        **os.environ, "VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/atelier.sqlite3",
        "AMQP_URL": "", "REDIS_URL": "", "DEBUG": "true", "SITE_URL": f"http://127.0.0.1:{port}",
        "MEDIA_ROOT": str(tmp_path / "media"), "PYTHONUNBUFFERED": "1",
    }

    def manage(*args, **kwargs):
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=django_settings.BASE_DIR, env=env, check=True,
            capture_output=True, text=True, timeout=120, **kwargs,
        )

    def serve() -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=django_settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        processes.append(process)
        return process

    def report() -> tuple[list[str], int]:
        statuses, refunds = manage("shell", "-c", REPORT).stdout.strip().splitlines()[-1].split()
        return statuses.split("|"), int(refunds)

    processes: list[subprocess.Popen] = []
    manage("migrate", "-v0")
    # Submitted while no server runs: the jobs wait in the outbox, as after a crash before delivery.
    manage_with(env, {"EMBEDDED_WORKER": "false"}, SETUP)
    yield type("Site", (), {"serve": staticmethod(serve), "report": staticmethod(report), "env": env})
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def manage_with(env: dict, extra: dict, code: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=django_settings.BASE_DIR, env={**env, **extra},
        check=True, capture_output=True, text=True, timeout=120,
    )


def test_killed_mid_job_then_restarted_every_job_finishes_within_a_minute(embedded_site):
    server = embedded_site.serve()
    # Let the in-process dispatcher hand the jobs over and the worker start on them, then kill -9.
    wait_until(lambda: set(embedded_site.report()[0]) & {"processing", "completed"}, timeout=30, interval=0.1)
    server.send_signal(signal.SIGKILL)
    server.communicate(timeout=10)
    statuses, _ = embedded_site.report()
    assert set(statuses) != {"completed"}, "the kill came too late to test anything"

    started = time.monotonic()
    embedded_site.serve()  # nothing else: no dispatcher, no command
    wait_until(lambda: set(embedded_site.report()[0]) <= {"completed", "failed"}, timeout=60, interval=1)
    statuses, refunds = embedded_site.report()
    assert time.monotonic() - started < 60
    assert refunds == statuses.count("failed")  # every failed job is refunded, none twice


def test_sigterm_stops_the_server_within_10_seconds_even_mid_job(embedded_site):
    server = embedded_site.serve()
    wait_until(lambda: set(embedded_site.report()[0]) & {"processing", "completed"}, timeout=30, interval=0.1)
    started = time.monotonic()
    server.send_signal(signal.SIGTERM)
    server.communicate(timeout=30)
    assert time.monotonic() - started < 10


# --- the embedded worker's poison messages -----------------------------------------------------


@pytest.fixture
def unsent_generation(settings, user, trained_style, fund):
    settings.EMBEDDED_WORKER = False  # the send fails: the message stays in the outbox
    fund(user, 20)
    return generation_submit(
        user=user, style_id=trained_style.pk, prompt_tags=["fox"], aspect_ratio="1:1", seed=1, request_key=uuid.uuid4()
    )


def test_a_job_that_keeps_killing_the_worker_is_failed_and_refunded_after_three_takes(unsent_generation):
    message = OutboxMessage.objects.get()
    for _ in range(MAX_DELIVERIES):
        assert outbox_take_up(message_id=message.pk) is True  # each take dies with its process
    assert outbox_take_up(message_id=message.pk) is False
    unsent_generation.refresh_from_db()
    assert unsent_generation.status == Generation.Status.FAILED
    assert unsent_generation.failure_reason == (
        "The worker stopped 3 times while working on this job, so it was not tried again."
    )
    assert LedgerEntry.objects.filter(kind="refund", generation=unsent_generation).count() == 1
    message.refresh_from_db()
    assert message.sent_at is not None  # done with: never handed out again


def test_a_leased_message_is_not_sent_again_until_its_lease_expires(unsent_generation, settings):
    from django.utils import timezone

    from marketplace.jobs.services import outbox_send_due

    message = OutboxMessage.objects.get()
    outbox_take_up(message_id=message.pk)  # a worker holds it
    settings.EMBEDDED_WORKER = True
    OutboxMessage.objects.update(next_attempt_at=None)
    assert outbox_send_due() == 0
    OutboxMessage.objects.update(claimed_until=timezone.now())  # the holder died; its lease ran out
    assert outbox_send_due() == 1


# --- a blackholed broker ----------------------------------------------------------------------


@pytest.fixture
def blackholed_broker():
    """A port that accepts connections and never says a word, like a broker behind a dead firewall rule."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"amqp://guest:guest@127.0.0.1:{listener.getsockname()[1]}/%2F"
    stop.set()
    thread.join(1)
    for conn in accepted:
        conn.close()
    listener.close()


def test_a_blackholed_broker_does_not_slow_the_generate_request(
    client, settings, blackholed_broker, user, trained_style, fund, django_capture_on_commit_callbacks
):
    settings.AMQP_URL = blackholed_broker
    settings.OUTBOX_SEND_INLINE = False  # production: the after-commit send leaves the request thread
    fund(user, 20)
    client.force_login(user)
    started = time.monotonic()
    # The commit hooks run as after a real commit: the request thread only hands the message on.
    # (The sender thread cannot see this test's uncommitted row, so it never reaches the blackhole
    # and never writes to the database after the test.)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("generations:generate"), {
            "style": trained_style.pk, "fixed_style": "1", "tags": "fox", "aspect_ratio": "1:1",
            "request_key": uuid.uuid4(), "quoted_cost": 5,
        })
    elapsed = time.monotonic() - started
    print(f"generate POST with a blackholed broker: {elapsed * 1000:.0f} ms")
    assert response.status_code == 302
    assert elapsed < 1.0
    assert Generation.objects.get().status == Generation.Status.QUEUED
    assert OutboxMessage.objects.get().sent_at is None  # the dispatcher will send it once the broker answers
