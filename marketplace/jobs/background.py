"""The dispatcher's duties inside the web process, for when no `run_dispatcher` runs (make run).

Started once per serving process from config/wsgi.py (runserver and gunicorn both load it):
re-send due outbox messages (including those a killed process left leased) and run the sweeps
(stalled jobs, payment reconciliation). A daemon thread, so SIGTERM never waits for it.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)

INTERVAL = 5.0  # seconds between passes
_started = threading.Event()


def run_pass() -> tuple[int, int]:
    """One pass of the dispatcher: (messages sent, jobs swept)."""
    from marketplace.jobs.services import outbox_send_due
    from marketplace.jobs.sweeps import run_sweeps

    return outbox_send_due(), run_sweeps()


def start_in_process_dispatcher() -> bool:
    """Start the loop unless a separate dispatcher is configured; True when this call started it."""
    if not settings.IN_PROCESS_DISPATCHER or _started.is_set():
        return False
    _started.set()
    threading.Thread(target=_loop, name="atelier-dispatcher", daemon=True).start()
    return True


def _loop() -> None:
    stop = threading.Event()  # never set: the thread ends with the process
    while not stop.wait(INTERVAL):
        try:
            run_pass()
            close_old_connections()
        except Exception:  # keep the loop alive through a database blip
            logger.exception("in-process dispatcher pass failed")
