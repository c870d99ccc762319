"""`python -m worker`: consume Atelier's job queues until SIGTERM or SIGINT.

Environment: ATELIER_AMQP_URL (or AMQP_URL) for the broker; ATELIER_WEBHOOK_SECRETS (or
WORKER_WEBHOOK_SECRETS), the comma-separated signing secrets shared with Atelier (signs with the first,
accepts messages signed with any). Deprecated: with no secret, ATELIER_WORKER_TOKEN (or
INTERNAL_API_TOKEN) as a bearer token, and messages are taken unsigned.
ATELIER_MESSAGE_MAX_AGE: seconds a queued job's signature stays good (default one day).
ATELIER_WORKER_ENGINE: the engine, as --engine (worker/engines/; default reference).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys

import pika

from worker.client import AtelierClient
from worker.consumer import HANDLERS, MESSAGE_MAX_AGE, ConfigurationError, Consumer
from worker.engines import ENGINES, engine_from_environment

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"

logger = logging.getLogger("worker")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m worker", description="Atelier's reference AI worker.")
    queues = sorted(HANDLERS)
    parser.add_argument("--queues", nargs="+", choices=queues, default=queues, help="queues to consume (default: both)")
    parser.add_argument(
        "--engine", choices=sorted(ENGINES), default=os.environ.get("ATELIER_WORKER_ENGINE") or "reference",
        help="what trains and draws (default: $ATELIER_WORKER_ENGINE or reference)",
    )
    args = parser.parse_args(argv)
    os.environ["ATELIER_WORKER_ENGINE"] = args.engine  # the handlers ask worker.engines for it
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # pika logs a traceback for every failed connection attempt; the consumer already says so in one line.
    logging.getLogger("pika").setLevel(logging.CRITICAL)

    secrets = [
        secret.strip()
        for secret in (os.environ.get("ATELIER_WEBHOOK_SECRETS") or os.environ.get("WORKER_WEBHOOK_SECRETS") or "")
        .split(",")
        if secret.strip()
    ]
    token = os.environ.get("ATELIER_WORKER_TOKEN") or os.environ.get("INTERNAL_API_TOKEN")
    if secrets:
        client = AtelierClient(secret=secrets[0])
    elif token:
        logger.warning("no ATELIER_WEBHOOK_SECRETS: using the deprecated bearer token; messages are not verified")
        client = AtelierClient(token)
    else:
        logger.error("set ATELIER_WEBHOOK_SECRETS to Atelier's WORKER_WEBHOOK_SECRETS")
        return 2
    engine = engine_from_environment()  # loaded before the first job (a diffusers base model takes a while)
    logger.info("engine: %s", engine.name)
    url = os.environ.get("ATELIER_AMQP_URL") or os.environ.get("AMQP_URL") or DEFAULT_AMQP_URL
    consumer = Consumer(
        pika.URLParameters(url), client, queues={queue: queue for queue in args.queues}, secrets=secrets,
        max_age=float(os.environ.get("ATELIER_MESSAGE_MAX_AGE") or MESSAGE_MAX_AGE),
    )

    def stop(signum, frame) -> None:
        logger.info("%s received; stopping after the current job", signal.Signals(signum).name)
        consumer.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        consumer.run()
    except ConfigurationError as exc:
        logger.critical("%s", exc)
        return 1
    finally:
        consumer.close()
    logger.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
