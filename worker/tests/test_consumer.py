"""The consumer against the real RabbitMQ on 127.0.0.1:5672, on throwaway queues (never Atelier's own)."""

import json
import time
import uuid

import pika
import pytest
import responses
from pika.exceptions import AMQPConnectionError

from worker.client import AtelierClient, FatalError, RetriableError
from worker.consumer import ATTEMPT_HEADER, ConfigurationError, Consumer
from worker.signing import signed_headers

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
STATUS = "https://atelier.test/api/models/17/status"


class FakeClient:
    """Stands in for AtelierClient: answers get_status from a script and records every call."""

    def __init__(self, status=None, error=None):
        self.status, self.error = status, error
        self.calls = []

    def get_status(self, url):
        self.calls.append(("GET", url))
        if self.error:
            raise self.error
        return {"status": self.status}

    def patch_status(self, url, **fields):
        self.calls.append(("PATCH", url, fields))
        return {"changed": True}


@pytest.fixture
def broker():
    params = pika.URLParameters(AMQP_URL)
    params.connection_attempts = 1
    params.socket_timeout = 2
    try:
        connection = pika.BlockingConnection(params)
    except AMQPConnectionError as exc:
        pytest.skip(f"RabbitMQ is not reachable at 127.0.0.1:5672 ({exc!r}); the consumer tests need a real broker")
    channel = connection.channel()
    queue = f"test-worker-{uuid.uuid4().hex}"
    channel.queue_declare(queue=queue, durable=True)
    yield channel, queue
    channel.queue_delete(queue=queue)
    connection.close()


def make_consumer(queue, client):
    return Consumer(pika.URLParameters(AMQP_URL), client, queues={queue: "model_training"}, retry_delay=0)


def publish(channel, queue, body: bytes, message_id="msg-1", headers=None):
    properties = pika.BasicProperties(
        content_type="application/json", delivery_mode=pika.DeliveryMode.Persistent, message_id=message_id,
        headers=headers,
    )
    channel.basic_publish(exchange="", routing_key=queue, body=body, properties=properties)


def process(consumer, count, timeout=10.0):
    """Let the consumer process `count` deliveries, failing the test if they do not arrive in time."""
    done, deadline = 0, time.monotonic() + timeout
    while done < count:
        assert time.monotonic() < deadline, f"only {done} of {count} deliveries arrived"
        done += consumer.poll(time_limit=0.2)


def waiting(channel, queue):
    return channel.queue_declare(queue=queue, durable=True, passive=True).method.message_count


def training_body():
    return json.dumps(
        {"version": 1, "type": "training", "style_id": 17, "image_urls": [], "webhook_url": STATUS,
         "artifact_url": "https://atelier.test/api/models/17/artifact"}
    ).encode()


def test_retriable_error_republishes_with_the_attempt_header(broker):
    channel, queue = broker
    client = FakeClient(error=RetriableError("Atelier could not be reached"))
    consumer = make_consumer(queue, client)
    consumer.connect()
    publish(channel, queue, training_body(), message_id="job-42")

    process(consumer, 1)
    consumer.close()

    method, properties, body = channel.basic_get(queue, auto_ack=True)
    assert method is not None, "the job was not put back on its queue"
    assert properties.headers[ATTEMPT_HEADER] == 2
    assert properties.message_id == "job-42"
    assert properties.delivery_mode == 2
    assert body == training_body()
    assert client.calls == [("GET", STATUS)]
    assert waiting(channel, queue) == 0


def test_after_three_attempts_the_job_is_reported_failed_and_acked(broker):
    channel, queue = broker
    client = FakeClient(error=RetriableError("Atelier could not be reached"))
    consumer = make_consumer(queue, client)
    consumer.connect()
    publish(channel, queue, training_body())

    process(consumer, 3)
    time.sleep(0.3)
    nothing_more = not consumer.poll(time_limit=0.5)
    consumer.close()

    assert nothing_more
    assert client.calls == [
        ("GET", STATUS),
        ("GET", STATUS),
        ("GET", STATUS),
        (
            "PATCH",
            STATUS,
            {
                "status": "failed",
                "failure_reason": (
                    "The worker could not finish this job after 3 attempts: Atelier could not be reached."
                ),
            },
        ),
    ]
    assert waiting(channel, queue) == 0


def test_malformed_message_is_acked_and_dropped(broker):
    channel, queue = broker
    client = FakeClient(status="pending")
    consumer = make_consumer(queue, client)
    consumer.connect()
    publish(channel, queue, b"{not json")
    publish(channel, queue, json.dumps({"version": 1, "type": "training"}).encode(), message_id="msg-2")

    process(consumer, 2)
    consumer.close()

    assert client.calls == []
    assert waiting(channel, queue) == 0


def test_with_secrets_only_messages_signed_by_atelier_are_acted_on(broker):
    channel, queue = broker
    client = FakeClient(status="completed")
    consumer = Consumer(
        pika.URLParameters(AMQP_URL), client, queues={queue: "model_training"}, retry_delay=0,
        secrets=["new-secret", "old-secret"],
    )
    consumer.connect()
    body = training_body()
    publish(channel, queue, body, message_id="unsigned")
    publish(channel, queue, body, message_id="forged", headers=signed_headers("someone-else", body))
    publish(channel, queue, body, message_id="tampered", headers=signed_headers("new-secret", body + b" "))
    two_days_ago = time.time() - 2 * 86400
    publish(channel, queue, body, message_id="stale", headers=signed_headers("new-secret", body, now=two_days_ago))
    publish(channel, queue, body, message_id="rotated", headers=signed_headers("old-secret", body))

    process(consumer, 5)
    consumer.close()

    assert client.calls == [("GET", STATUS)], "only the message signed with an active secret reached Atelier"
    assert waiting(channel, queue) == 0, "refused messages are dropped, not redelivered forever"


def test_finished_job_is_acked_without_a_report(broker):
    channel, queue = broker
    client = FakeClient(status="completed")
    consumer = make_consumer(queue, client)
    consumer.connect()
    publish(channel, queue, training_body())

    process(consumer, 1)
    consumer.close()

    assert client.calls == [("GET", STATUS)]
    assert waiting(channel, queue) == 0


def test_unacked_job_goes_back_to_the_queue_when_the_worker_stops(broker):
    channel, queue = broker
    consumer = make_consumer(queue, FakeClient(status="pending"))
    consumer.connect()
    publish(channel, queue, training_body())

    deadline = time.monotonic() + 10
    while waiting(channel, queue):  # wait until it is delivered to the consumer, but do not process it
        assert time.monotonic() < deadline, "the job was never delivered"
        consumer.connection.process_data_events(time_limit=0.1)
    consumer.close()

    assert waiting(channel, queue) == 1


def take(consumer):
    """The next delivery, taken up but not yet processed (a worker that dies now never acks it)."""
    deadline = time.monotonic() + 10
    while not consumer._pending:
        assert time.monotonic() < deadline, "no delivery arrived"
        consumer.connection.process_data_events(time_limit=0.1)
    return consumer._pending.popleft()


def test_a_job_that_kills_its_worker_counts_each_crash_and_fails_after_three(broker):
    channel, queue = broker
    publish(channel, queue, training_body())
    first = make_consumer(queue, FakeClient(status="pending"))
    first.connect()
    assert not take(first).redelivered
    first.close()  # crash 1: the job goes back to the queue unacked

    for crash in (2, 3):
        worker = make_consumer(queue, FakeClient(status="pending"))
        worker.connect()
        worker._process(take(worker))  # a redelivery: counted, and a fresh copy carries the count
        copy = take(worker)
        assert not copy.redelivered and copy.attempt == crash
        worker.close()  # crash again, mid-job

    client = FakeClient(status="pending")
    last = make_consumer(queue, client)
    last.connect()
    last._process(take(last))
    last.close()
    assert client.calls == [("PATCH", STATUS, {
        "status": "failed",
        "failure_reason": "The worker stopped 3 times while working on this job, so it was not tried again.",
    })]
    assert waiting(channel, queue) == 0


def test_refused_token_stops_the_worker_and_leaves_the_job_queued(broker):
    channel, queue = broker
    consumer = make_consumer(queue, FakeClient(error=FatalError("Atelier refused a request (HTTP 403)", status=403)))
    consumer.connect()
    publish(channel, queue, training_body())

    with pytest.raises(ConfigurationError, match="worker token"):
        process(consumer, 1)
    consumer.close()

    assert waiting(channel, queue) == 1


def test_training_through_the_broker_reports_to_atelier_then_acks(broker, red_pictures):
    channel, queue = broker
    artifact = "https://atelier.test/api/models/17/artifact"
    image = "https://atelier.test/api/models/17/training-images/101"
    consumer = make_consumer(queue, AtelierClient("tok"))
    consumer.connect()
    body = json.loads(training_body())
    publish(channel, queue, json.dumps({**body, "image_urls": [image]}).encode())

    with responses.RequestsMock() as api:
        api.get(STATUS, json={"status": "pending"})
        api.patch(STATUS, json={"changed": True})
        api.get(image, body=red_pictures[0])
        api.put(artifact, json={"stored": True})
        process(consumer, 1)
        sent = [(call.request.method, call.request.url) for call in api.calls]
    consumer.close()

    assert sent[0] == ("GET", STATUS) and sent[-2:] == [("PUT", artifact), ("PATCH", STATUS)]
    assert waiting(channel, queue) == 0
