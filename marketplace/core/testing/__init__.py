"""Helpers shared by the marketplace tests and the Playwright journeys.

Plain functions here, thin fixtures over them in marketplace/conftest.py.
Image bytes live in `marketplace.core.testing.imagefiles`.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pika
import pytest
from django.db import connections

from marketplace.generations.models import Generation
from marketplace.ledger.services import ledger_credit

JOB_QUEUES = ("model_training", "image_generation")


@pytest.fixture
def rabbitmq(settings):
    """A channel on the real RabbitMQ named by AMQP_URL; the job queues start empty."""
    if not settings.AMQP_URL:
        pytest.skip("needs RabbitMQ: set AMQP_URL=amqp://guest:guest@127.0.0.1:5672/%2F")
    connection = pika.BlockingConnection(pika.URLParameters(settings.AMQP_URL))
    channel = connection.channel()
    for queue in JOB_QUEUES:
        channel.queue_declare(queue=queue, durable=True)
        channel.queue_purge(queue)
    yield channel
    if connection.is_open:
        connection.close()


@pytest.fixture
def reference_worker(live_server, settings, request):
    """The reference worker, working for the live server.

    With AMQP_URL: the real `python -m worker` process consuming real RabbitMQ
    queues. Without: the embedded in-process worker (make run's default).
    Either way it reaches Atelier only over HTTP, at live_server.url.
    """
    settings.SITE_URL = live_server.url
    settings.INTERNAL_API_TOKEN = "e2e-worker-token"
    if not settings.AMQP_URL:
        settings.EMBEDDED_WORKER = True
        yield "embedded"
        return
    request.getfixturevalue("rabbitmq")
    with worker_process(settings):
        yield "process"


@contextlib.contextmanager
def worker_process(settings, *, python: str = sys.executable, engine: str = "reference", env: dict | None = None):
    """A real `python -m worker --engine ENGINE` (under `python`) on settings.AMQP_URL, stopped on exit;
    what it printed is shown when the test fails."""
    env = {
        **os.environ,
        "ATELIER_AMQP_URL": settings.AMQP_URL,
        "ATELIER_WORKER_TOKEN": settings.INTERNAL_API_TOKEN,
        "ATELIER_WEBHOOK_SECRETS": ",".join(settings.WORKER_WEBHOOK_SECRETS),  # the worker signs, as in production
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    process = subprocess.Popen(
        [python, "-m", "worker", "--engine", engine], cwd=settings.BASE_DIR, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        print(f"{engine} worker output:\n" + output)  # shown by pytest only when the test fails


def wait_until(predicate, *, timeout: float = 60, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def credit_tokens(user, amount: int, key: str | None = None, *, kind: str = "purchase", reason: str = "Token pack",
                  **fields):
    """Credits `amount` tokens to `user` through the ledger and refreshes `user`; returns the ledger entry.

    Without `key`, a fresh idempotency key. `fields` go to ledger_credit (payment=, generation=).
    """
    entry = ledger_credit(
        user_id=user.pk, amount=amount, kind=kind, reason=reason, idempotency_key=key or str(uuid.uuid4()), **fields
    )
    user.refresh_from_db()
    return entry


def public_image(make_generation, **fields):
    """A completed, public generation with an image, made by the make_generation fixture; `fields` override."""
    fields.setdefault("status", Generation.Status.COMPLETED)
    fields.setdefault("visibility", Generation.Visibility.PUBLIC)
    fields.setdefault("image", "generations/out.png")
    return make_generation(**fields)


def run_in_threads(fn, count: int, *, workers: int | None = None) -> list:
    """Calls fn(0) ... fn(count - 1) on `workers` threads (one per call by default); returns the results in order.

    The first `workers` calls wait at a barrier so they really overlap instead of
    running one by one as threads start. Each call closes its thread's database
    connections, or the test database could not be dropped afterwards.
    Meaningful with a transactional test on PostgreSQL (the `postgres` fixture).
    """
    workers = workers or count
    barrier = threading.Barrier(min(workers, count))

    def run(i):
        try:
            if i < workers:
                barrier.wait()
            return fn(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, range(count)))
