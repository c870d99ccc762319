"""The broker's health probe, registered with core's /api/ready by JobsConfig.ready."""

import pika
from django.conf import settings


def check_broker() -> str:
    if not settings.AMQP_URL:
        return "embedded"
    params = pika.URLParameters(settings.AMQP_URL)
    params.socket_timeout = 2
    params.blocked_connection_timeout = 2
    params.connection_attempts = 1
    pika.BlockingConnection(params).close()
    return "connected"
