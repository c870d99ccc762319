import io
import json
import subprocess

import pika
import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from marketplace.jobs.models import OutboxMessage
from marketplace.jobs.publisher import get_publisher
from marketplace.jobs.services import outbox_enqueue, outbox_send_due


def get_one(channel, queue):
    method, properties, body = channel.basic_get(queue, auto_ack=True)
    assert method is not None, f"no message in {queue}"
    return properties, json.loads(body)


@pytest.mark.django_db
def test_message_is_published_after_commit(rabbitmq, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox_enqueue(queue="model_training", payload={"version": 1, "style_id": 7})
        assert rabbitmq.queue_declare("model_training", durable=True, passive=True).method.message_count == 0
    properties, body = get_one(rabbitmq, "model_training")
    assert body == {"version": 1, "style_id": 7}
    assert properties.delivery_mode == 2
    assert properties.message_id == f"outbox-{message.pk}"
    assert properties.content_type == "application/json"
    message.refresh_from_db()
    assert message.sent_at is not None


@pytest.mark.django_db
def test_rolled_back_transaction_publishes_nothing(rabbitmq, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        outbox_enqueue(queue="model_training", payload={"style_id": 1})
        raise RuntimeError("the upload failed half-way")
    assert not OutboxMessage.objects.exists()
    assert rabbitmq.queue_declare("model_training", durable=True, passive=True).method.message_count == 0


@pytest.mark.django_db
def test_1000_messages_use_one_connection(rabbitmq, settings, django_capture_on_commit_callbacks):
    publisher = get_publisher(settings.AMQP_URL)
    publisher.close()
    opened = publisher.connections_opened
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(1000):
            outbox_enqueue(queue="image_generation", payload={"n": i})
    assert publisher.connections_opened == opened + 1
    assert rabbitmq.queue_declare("image_generation", durable=True, passive=True).method.message_count == 1000
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.django_db
def test_unsent_message_waits_with_backoff_then_goes(rabbitmq, settings, django_capture_on_commit_callbacks):
    real_url = settings.AMQP_URL
    settings.AMQP_URL = "amqp://guest:guest@127.0.0.1:9/%2F"  # nothing listens there
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox_enqueue(queue="model_training", payload={"style_id": 3})
    message.refresh_from_db()
    assert message.sent_at is None and message.attempts == 1 and "Connection refused" in message.last_error
    assert message.next_attempt_at > timezone.now()
    assert outbox_send_due() == 0  # still backing off

    settings.AMQP_URL = real_url
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert outbox_send_due() == 1
    assert get_one(rabbitmq, "model_training")[1] == {"style_id": 3}


def rabbitmqctl(*args):
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


@pytest.mark.django_db
def test_broker_stopped_then_restarted_loses_nothing(rabbitmq, settings, django_capture_on_commit_callbacks):
    """RabbitMQ really stops: the enqueue still succeeds; the dispatcher delivers once it is back."""
    rabbitmq.connection.close()
    rabbitmqctl("stop_app")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            message = outbox_enqueue(queue="model_training", payload={"style_id": 11})
        message.refresh_from_db()
        assert message.sent_at is None and message.attempts == 1
    finally:
        rabbitmqctl("start_app")
        rabbitmqctl("await_startup")
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    call_command("run_dispatcher", "--once", stdout=io.StringIO())
    message.refresh_from_db()
    assert message.sent_at is not None
    channel = pika.BlockingConnection(pika.URLParameters(settings.AMQP_URL)).channel()
    properties, body = get_one(channel, "model_training")
    assert body == {"style_id": 11}
    channel.connection.close()
