"""Publishing to RabbitMQ with pika.

One BlockingConnection per process and thread, opened lazily on first use
(never before gunicorn forks: a pika connection must not cross a fork or a
thread), re-opened after a broker restart, closed at exit. Messages are
persistent, mandatory and confirmed, on durable queues.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading

import pika
from pika.exceptions import AMQPError

from marketplace.jobs.queues import QUEUES
from marketplace.jobs.signing import message_headers

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


class PublishError(Exception):
    pass


class Publisher:
    def __init__(self, url: str) -> None:
        self.url = url
        self._local = threading.local()
        self.connections_opened = 0

    def _channel(self):
        state = getattr(self._local, "state", None)
        if state and state["pid"] == os.getpid() and state["connection"].is_open and state["channel"].is_open:
            return state["channel"]
        self.close()
        params = pika.URLParameters(self.url)
        params.connection_attempts = 1
        params.socket_timeout = 5
        params.blocked_connection_timeout = 10
        connection = pika.BlockingConnection(params)
        self.connections_opened += 1
        channel = connection.channel()
        channel.confirm_delivery()
        for queue in QUEUES:
            channel.queue_declare(queue=queue, durable=True)
        self._local.state = {"pid": os.getpid(), "connection": connection, "channel": channel}
        return channel

    def publish(self, *, queue: str, body: bytes, message_id: str) -> None:
        """Publish once and wait for the broker's confirm; retries a lost connection up to 3 times."""
        properties = pika.BasicProperties(
            content_type="application/json", delivery_mode=pika.DeliveryMode.Persistent, message_id=message_id,
            # Standard Webhooks headers: the worker checks them before acting (docs/worker-protocol.md).
            headers=message_headers(body, message_id=message_id),
        )
        last_error: Exception | None = None
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                self._channel().basic_publish(
                    exchange="", routing_key=queue, body=body, properties=properties, mandatory=True
                )
                return
            except AMQPError as exc:
                last_error = exc
                logger.warning("publish to %s failed (attempt %d/%d): %r", queue, attempt, MAX_ATTEMPTS, exc)
                self.close()
        raise PublishError(f"could not publish to {queue}: {last_error!r}")

    def close(self) -> None:
        state = getattr(self._local, "state", None)
        self._local.state = None
        if state and state["pid"] == os.getpid():
            try:
                if state["connection"].is_open:
                    state["connection"].close()
            except AMQPError:
                pass

    @property
    def is_connected(self) -> bool:
        state = getattr(self._local, "state", None)
        return bool(state and state["connection"].is_open)


_publishers: dict[str, Publisher] = {}
_lock = threading.Lock()


def get_publisher(url: str) -> Publisher:
    with _lock:
        if url not in _publishers:
            _publishers[url] = Publisher(url)
        return _publishers[url]


@atexit.register
def _close_all() -> None:
    for publisher in _publishers.values():
        publisher.close()
