"""Where outbox messages go: RabbitMQ when AMQP_URL is set, else the in-process reference worker."""

from __future__ import annotations

from django.conf import settings

from marketplace.jobs.publisher import get_publisher


class AmqpTransport:
    def __init__(self, url: str) -> None:
        self.publisher = get_publisher(url)

    def send(self, *, queue: str, body: bytes, message_id: str) -> bool:
        """True: the broker confirmed the persistent message, so it is delivered."""
        self.publisher.publish(queue=queue, body=body, message_id=message_id)
        return True


def get_transport():
    if settings.AMQP_URL:
        return AmqpTransport(settings.AMQP_URL)
    from marketplace.jobs.embedded import EmbeddedTransport

    return EmbeddedTransport.instance()
