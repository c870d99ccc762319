"""The embedded default: with no AMQP_URL, the bundled reference worker runs
in a background thread of this process and speaks the same HTTP protocol
to SITE_URL, so `make run` trains and draws with nothing else installed.

It is as durable as the broker: a message handed to this thread stays
unsent (leased) in the outbox until the worker has taken the job up and
handled it, so a process killed mid-job re-sends it on restart; a job that
keeps killing the process is given up after outbox.MAX_DELIVERIES takes.
The thread is a daemon: SIGTERM never waits for it.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time

from django.conf import settings
from django.db import DatabaseError, OperationalError, close_old_connections

logger = logging.getLogger(__name__)

RETRIES = 3
RENEW_EVERY = 10.0  # seconds between lease renewals while a job runs


class EmbeddedTransport:
    _instance: EmbeddedTransport | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        # One thread: jobs run one after another, like a single GPU worker.
        self._jobs: queue.SimpleQueue[tuple[str, str, dict]] = queue.SimpleQueue()
        self._in_flight: set[str] = set()
        self._in_flight_lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="atelier-worker", daemon=True)
        self._thread.start()

    @classmethod
    def instance(cls) -> EmbeddedTransport:
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def send(self, *, queue: str, body: bytes, message_id: str) -> bool:
        """Accept a job; False: not confirmed yet (the outbox keeps its lease until the job is handled)."""
        if not settings.EMBEDDED_WORKER:
            raise RuntimeError("no broker configured and the embedded worker is off")
        with self._in_flight_lock:
            if message_id in self._in_flight:
                return False  # a re-send of a job already waiting or running here: keep one copy
            self._in_flight.add(message_id)
        self._jobs.put((queue, message_id, json.loads(body)))
        return False

    def _loop(self) -> None:
        while True:
            queue_name, message_id, message = self._jobs.get()
            try:
                self._run(queue_name, message_id, message)
            except Exception:
                logger.exception("embedded worker: %s job %s failed", queue_name, message_id)
            finally:
                with self._in_flight_lock:
                    self._in_flight.discard(message_id)
                _close_connections()

    def _run(self, queue_name: str, message_id: str, message: dict) -> None:
        from marketplace.jobs.services import outbox_done, outbox_renew, outbox_take_up
        from marketplace.jobs.signing import webhook_secrets
        from worker.client import AtelierClient, JobGone, RetriableError
        from worker.consumer import HANDLERS

        pk = int(message_id.removeprefix("outbox-"))
        try:
            if not _retrying(lambda: outbox_take_up(message_id=pk)):
                return
        except DatabaseError:  # counting this take is best effort: the job runs anyway
            logger.warning("embedded worker: could not record taking up outbox message %s", pk, exc_info=True)
        renewer = _Renewer(lambda: _retrying(lambda: outbox_renew(message_id=pk)))
        secrets = webhook_secrets()
        # Signed like any worker (the bearer token only when no secret is set); scoped by the message's job token.
        client = AtelierClient(secret=secrets[0]) if secrets else AtelierClient(token=settings.INTERNAL_API_TOKEN)
        if isinstance(message, dict):
            client.start_job(message)
        try:
            for attempt in range(1, RETRIES + 1):
                try:
                    HANDLERS[queue_name](message, client)
                    break
                except JobGone:
                    break
                except RetriableError as exc:
                    logger.warning("embedded worker: %s attempt %d failed: %s", queue_name, attempt, exc)
                    if attempt == RETRIES:
                        # Atelier could not be reached or answered 5xx: leave the lease to expire, so the
                        # dispatcher hands the job out again; after MAX_DELIVERIES takes it is given up.
                        return
                    time.sleep(attempt)
        finally:
            renewer.stop()
        # Handled, or failed for good after its retries (the worker reported why): either way done here.
        _retrying(lambda: outbox_done(message_id=pk))


def _retrying(operation, *, tries: int = 6):
    """Run a short database write, retrying briefly while SQLite reports the database busy or locked."""
    for attempt in range(tries):
        try:
            return operation()
        except OperationalError:
            if attempt == tries - 1:
                raise
            time.sleep(0.05 * 2**attempt)
    return None


def _close_connections() -> None:
    """Drop this thread's stale connections; never let it end the thread (a test may forbid the database)."""
    try:
        close_old_connections()
    except Exception:
        logger.debug("embedded worker: could not close old connections", exc_info=True)


class _Renewer:
    """Renews a lease every RENEW_EVERY seconds in its own daemon thread until stopped."""

    def __init__(self, renew) -> None:
        self._stop = threading.Event()
        self._renew = renew
        threading.Thread(target=self._loop, name="atelier-lease", daemon=True).start()

    def _loop(self) -> None:
        while not self._stop.wait(RENEW_EVERY):
            try:
                self._renew()
            except Exception:
                logger.exception("embedded worker: could not renew a lease")
            finally:
                _close_connections()

    def stop(self) -> None:
        self._stop.set()
