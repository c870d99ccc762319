"""The after-commit sender's batches: a few statements per batch, and a failure stops only the rest of it.

A stand-in transport records what is published, so these run without RabbitMQ (test_outbox.py has the broker).
"""

import queue

import pytest

from marketplace.jobs import sender
from marketplace.jobs.models import OutboxMessage
from marketplace.jobs.services import outbox_send_many


class RecordingTransport:
    def __init__(self, fail_on: int | None = None) -> None:
        self.sent: list[str] = []
        self.fail_on = fail_on

    def send(self, *, queue: str, body: bytes, message_id: str) -> bool:
        if len(self.sent) == self.fail_on:
            raise ConnectionError("the broker went away")
        self.sent.append(message_id)
        return True


@pytest.fixture
def transport(monkeypatch):
    def install(**kwargs) -> RecordingTransport:
        recording = RecordingTransport(**kwargs)
        monkeypatch.setattr("marketplace.jobs.services.get_transport", lambda: recording)
        return recording

    return install


def messages(n: int) -> list[OutboxMessage]:
    return OutboxMessage.objects.bulk_create(
        [OutboxMessage(queue="image_generation", payload={"n": i}) for i in range(n)]
    )


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 50])
def test_a_batch_is_sent_oldest_first_in_the_same_few_statements_however_large(
    n, transport, django_assert_num_queries
):
    recording, ids = transport(), [message.pk for message in messages(n)]
    with django_assert_num_queries(3):  # claim, read back, record
        assert outbox_send_many(message_ids=list(reversed(ids))) == n
    assert recording.sent == [f"outbox-{pk}" for pk in ids]
    assert OutboxMessage.objects.filter(sent_at__isnull=False, attempts=1, claimed_until=None).count() == n


@pytest.mark.django_db
def test_rows_sent_or_leased_elsewhere_are_not_sent_again(transport):
    from django.utils import timezone

    recording, (sent, leased, due) = transport(), messages(3)
    OutboxMessage.objects.filter(pk=sent.pk).update(sent_at=timezone.now())
    OutboxMessage.objects.filter(pk=leased.pk).update(claimed_until=timezone.now() + timezone.timedelta(seconds=30))
    assert outbox_send_many(message_ids=[sent.pk, leased.pk, due.pk]) == 1
    assert recording.sent == [f"outbox-{due.pk}"]


@pytest.mark.django_db
def test_a_failure_backs_that_message_off_and_releases_the_rest_for_the_dispatcher(transport):
    recording, (first, failed, untried) = transport(fail_on=1), messages(3)
    assert outbox_send_many(message_ids=[first.pk, failed.pk, untried.pk]) == 1
    assert recording.sent == [f"outbox-{first.pk}"]
    first.refresh_from_db(), failed.refresh_from_db(), untried.refresh_from_db()
    assert first.sent_at is not None
    assert failed.sent_at is None and failed.attempts == 1 and failed.next_attempt_at is not None
    assert "the broker went away" in failed.last_error and failed.claimed_until is None
    assert untried.sent_at is None and untried.attempts == 0 and untried.claimed_until is None


def test_the_sender_takes_all_that_is_waiting_up_to_a_batch(monkeypatch):
    monkeypatch.setattr(sender, "BATCH", 3)
    monkeypatch.setattr(sender, "_pending", queue.SimpleQueue())  # a running sender thread reads the real one
    for message_id in range(1, 6):
        sender._pending.put(message_id)
    assert sender._next_batch() == [1, 2, 3]
    assert sender._next_batch() == [4, 5]
