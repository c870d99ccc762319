import pika
import pytest


@pytest.fixture
def rabbitmq(settings):
    """A channel on the real RabbitMQ named by AMQP_URL; the job queues start empty."""
    if not settings.AMQP_URL:
        pytest.skip("needs RabbitMQ: set AMQP_URL=amqp://guest:guest@127.0.0.1:5672/%2F")
    connection = pika.BlockingConnection(pika.URLParameters(settings.AMQP_URL))
    channel = connection.channel()
    for queue in ("model_training", "image_generation"):
        channel.queue_declare(queue=queue, durable=True)
        channel.queue_purge(queue)
    yield channel
    if connection.is_open:
        connection.close()
