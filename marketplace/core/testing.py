"""Fixtures shared by the integration tests and the Playwright journeys."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pika
import pytest

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
    env = {
        **os.environ,
        "ATELIER_AMQP_URL": settings.AMQP_URL,
        "ATELIER_WORKER_TOKEN": settings.INTERNAL_API_TOKEN,
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "worker"], cwd=settings.BASE_DIR, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        yield "process"
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        print("reference worker output:\n" + output)  # shown by pytest only when the test fails


def wait_until(predicate, *, timeout: float = 60, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
