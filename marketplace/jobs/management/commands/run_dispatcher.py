import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from marketplace.jobs.background import run_pass

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Publishes unsent outbox messages to RabbitMQ (with backoff) and fails jobs that ran too long."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between passes")
        parser.add_argument("--once", action="store_true", help="run one pass and exit")

    def handle(self, *args, interval: float, once: bool, **options) -> None:
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while True:
            try:
                sent, swept = run_pass()
                if sent or swept:
                    self.stdout.write(f"sent {sent} message(s), swept {swept} job(s)")
            except Exception:  # keep the loop alive through a database blip
                logger.exception("dispatcher pass failed")
            if once or stopping:
                return
            time.sleep(interval)
            close_old_connections()  # a long-lived process must not keep a dead connection
