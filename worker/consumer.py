"""The RabbitMQ side: take jobs from the queues, run them, ack, retry.

One BlockingConnection per process, driven from the main thread only (pika
connections are not thread-safe). A job runs in a helper thread while the
main thread keeps serving the connection, so a long job does not miss
broker heartbeats. A delivery is acked only once its handler returned: the
final webhook call succeeded, or the job was already over.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import json
import logging
import threading
import time
from dataclasses import dataclass

import pika
from pika.exceptions import AMQPError

from worker.client import AtelierError, JobGone, RetriableError
from worker.jobs import MalformedMessage, handle_generation, handle_training
from worker.protocol import GENERATION_QUEUE, TRAINING_QUEUE
from worker.signing import SignatureInvalid, verify

logger = logging.getLogger(__name__)

# The one table from queue to handler: this consumer and the web app's embedded worker both dispatch through it.
HANDLERS = {TRAINING_QUEUE: handle_training, GENERATION_QUEUE: handle_generation}
ATTEMPT_HEADER = "x-atelier-attempt"
MAX_ATTEMPTS = 3
RECONNECT_DELAY = 5.0
# A job may wait in its queue for hours; a signed message older than this is refused (ATELIER_MESSAGE_MAX_AGE).
MESSAGE_MAX_AGE = 24 * 3600


class ConfigurationError(RuntimeError):
    """Atelier refused the worker's credentials: stop and leave the jobs queued for a worker set up right."""


@dataclass
class _Delivery:
    queue: str
    tag: int
    properties: pika.BasicProperties
    body: bytes
    redelivered: bool = False

    @property
    def attempt(self) -> int:
        try:
            return max(1, int((self.properties.headers or {}).get(ATTEMPT_HEADER, 1)))
        except (TypeError, ValueError):
            return 1


class Consumer:
    """queues maps each queue to consume to a key of HANDLERS (tests consume throwaway queues).

    With `secrets`, every message must carry a valid Standard Webhooks signature (AMQP headers
    webhook-id, webhook-timestamp, webhook-signature) or it is dropped unread; without, messages are
    taken unsigned (deprecated, like the bearer token).
    """

    def __init__(
        self,
        parameters: pika.ConnectionParameters,
        client,
        *,
        queues: dict[str, str] | None = None,
        retry_delay: float = 5.0,
        secrets: tuple[str, ...] | list[str] = (),
        max_age: float = MESSAGE_MAX_AGE,
    ) -> None:
        self.secrets = [secret for secret in secrets if secret]
        self.max_age = max_age
        self.parameters = parameters
        self.client = client
        self.queues = queues or {name: name for name in HANDLERS}
        self.retry_delay = retry_delay
        self.stopping = False
        self.connection: pika.BlockingConnection | None = None
        self.channel = None
        self._pending: collections.deque[_Delivery] = collections.deque()

    def connect(self) -> None:
        self.connection = pika.BlockingConnection(self.parameters)
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()  # a republished retry must be safe on the broker before the original is acked
        self.channel.basic_qos(prefetch_count=1)
        for queue in self.queues:
            self.channel.queue_declare(queue=queue, durable=True)  # same arguments as Atelier's publisher
            self.channel.basic_consume(queue, functools.partial(self._on_delivery, queue))
        logger.info("consuming %s from %s:%s", ", ".join(self.queues), self.parameters.host, self.parameters.port)

    def _on_delivery(self, queue, channel, method, properties, body) -> None:
        self._pending.append(_Delivery(queue, method.delivery_tag, properties, body, bool(method.redelivered)))

    def poll(self, time_limit: float = 1.0) -> bool:
        """Wait up to time_limit for a delivery and process one; True when one was processed."""
        if not self._pending:
            self.connection.process_data_events(time_limit=time_limit)
        if not self._pending:
            return False
        self._process(self._pending.popleft())
        return True

    def run(self) -> None:
        """Consume until stop(); reconnects after the broker goes away."""
        while not self.stopping:
            try:
                if self.connection is None or not self.connection.is_open:
                    self.connect()
                self.poll()
            except AMQPError as exc:
                logger.warning("no connection to the broker (%r); retrying in %.0f s", exc, RECONNECT_DELAY)
                self.close()
                self._pause(RECONNECT_DELAY)

    def stop(self) -> None:
        """Safe to call from a signal handler: it only sets a flag."""
        self.stopping = True

    def _pause(self, seconds: float) -> None:
        # Short sleeps rather than an Event: an Event's lock is not safe to take in a signal handler.
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(0.1)

    def close(self) -> None:
        """Close the connection; deliveries not yet acked go back to their queue."""
        self._pending.clear()  # delivery tags die with their channel
        if self.connection is not None and self.connection.is_open:
            with contextlib.suppress(AMQPError):
                self.connection.close()
        self.connection = self.channel = None

    def _process(self, delivery: _Delivery) -> None:
        message_id = delivery.properties.message_id
        if self.secrets:
            try:
                verify(self.secrets, delivery.properties.headers or {}, delivery.body, max_age=self.max_age)
            except SignatureInvalid as exc:
                # Not from Atelier (or signed with a secret this worker does not hold): never act on it.
                logger.error("dropping message %s on %s: %s (%s)", message_id, delivery.queue, exc, exc.code)
                self.channel.basic_ack(delivery.tag)
                return
        try:
            message = json.loads(delivery.body)
            if not isinstance(message, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:  # includes a body that is not UTF-8
            logger.error("dropping malformed message %s on %s: %s", message_id, delivery.queue, exc)
            self.channel.basic_ack(delivery.tag)
            return
        if delivery.redelivered:
            self._count_crash(delivery, message)
            return
        handler = HANDLERS[self.queues[delivery.queue]]
        request_id = message.get("request_id") if isinstance(message.get("request_id"), str) else ""
        if hasattr(self.client, "start_job"):
            self.client.start_job(message)
        logger.info(
            "job %s from %s, attempt %d, request %s", message_id, delivery.queue, delivery.attempt, request_id or "-"
        )
        try:
            outcome = self._call(handler, message)
            logger.info("job %s: %s", message_id, outcome)
        except AMQPError:
            raise  # the connection is gone: no ack is possible, the broker will redeliver
        except MalformedMessage as exc:
            logger.error("dropping message %s on %s: %s", message_id, delivery.queue, exc)
        except RetriableError as exc:
            logger.warning("job %s attempt %d failed: %s (%s)", message_id, delivery.attempt, exc, exc.detail)
            if delivery.attempt >= MAX_ATTEMPTS:
                reason = f"The worker could not finish this job after {MAX_ATTEMPTS} attempts: {exc}."
                self._report_failed(message, reason)
            else:
                self.connection.sleep(self.retry_delay * delivery.attempt)
                self._republish(delivery, delivery.attempt + 1)
        except AtelierError as exc:
            if exc.status in (401, 403) and exc.code != "wrong_job":
                raise ConfigurationError(f"Atelier refused the worker token or signature: {exc.detail}") from exc
            logger.error("job %s refused by Atelier: %s", message_id, exc.detail)
            self._report_failed(message, f"The worker could not finish this job: {exc}.")
        except Exception:
            logger.exception("job %s crashed the worker", message_id)
            self._report_failed(message, "The worker hit an internal error while working on this job.")
        self.channel.basic_ack(delivery.tag)

    def _count_crash(self, delivery: _Delivery, message: dict) -> None:
        """The broker gave this delivery back: whoever had it died before acking, and that was an attempt.

        A fresh copy carries the count (the broker itself does not count redeliveries), and the
        original is acked only once the copy is safely queued; after MAX_ATTEMPTS the job is
        reported failed instead of looping forever on a message that kills its worker.
        """
        attempt = delivery.attempt + 1
        if attempt > MAX_ATTEMPTS:
            logger.error("job %s stopped its worker %d times; giving up", delivery.properties.message_id, MAX_ATTEMPTS)
            self._report_failed(
                message,
                f"The worker stopped {MAX_ATTEMPTS} times while working on this job, so it was not tried again.",
            )
        else:
            self._republish(delivery, attempt)
        self.channel.basic_ack(delivery.tag)

    def _call(self, handler, message: dict) -> str:
        """Run handler(message, client) in a thread while this thread keeps the connection alive."""
        result: dict = {}

        def target() -> None:
            try:
                result["outcome"] = handler(message, self.client)
            except BaseException as exc:  # handed over to the main thread, re-raised there
                result["error"] = exc

        thread = threading.Thread(target=target, name="atelier-job", daemon=True)
        thread.start()
        try:
            while thread.is_alive():
                thread.join(0.2)
                self.connection.process_data_events(time_limit=0)
        except AMQPError:
            thread.join()  # never let the redelivered copy run beside this one
            raise
        if "error" in result:
            raise result["error"]
        return result["outcome"]

    def _republish(self, delivery: _Delivery, attempt: int) -> None:
        headers = {**(delivery.properties.headers or {}), ATTEMPT_HEADER: attempt}
        properties = pika.BasicProperties(
            content_type=delivery.properties.content_type or "application/json",
            delivery_mode=pika.DeliveryMode.Persistent,
            message_id=delivery.properties.message_id,
            headers=headers,
        )
        self.channel.basic_publish("", delivery.queue, delivery.body, properties, mandatory=True)
        logger.info("job %s requeued for attempt %d", delivery.properties.message_id, attempt)

    def _report_failed(self, message: dict, reason: str) -> None:
        url = message.get("webhook_url")
        if not isinstance(url, str):
            return
        try:
            self.client.patch_status(url, status="failed", failure_reason=reason)
        except JobGone:
            pass
        except AtelierError as exc:
            # Give up rather than loop: Atelier's own timeout will end the job.
            logger.error("could not report job failed at %s: %s", url, exc.detail)
