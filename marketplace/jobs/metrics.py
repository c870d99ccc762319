"""The job plumbing's gauges for /metrics (registered from JobsConfig.ready)."""

from __future__ import annotations

from django.db.models import Count, Min
from django.utils import timezone

from marketplace.core.metrics import register_gauge
from marketplace.jobs.lifecycle import JobLifecycle
from marketplace.jobs.models import OutboxMessage


def outbox_backlog():
    unsent = OutboxMessage.objects.filter(sent_at__isnull=True).order_by().values_list("queue")
    for queue, count, oldest in unsent.annotate(n=Count("pk"), oldest=Min("created_at")):
        yield (queue, "count"), count
        yield (queue, "oldest_age_seconds"), (timezone.now() - oldest).total_seconds()


def register() -> None:
    register_gauge(
        "atelier_outbox_unsent", "Messages not yet handed to the broker: how many, and the oldest one's age.",
        ("queue", "measure"), outbox_backlog,
    )


def register_lifecycle(lifecycle: JobLifecycle, *, queue: str) -> None:
    """A domain's jobs by status, and its queue's depth (jobs waiting for a worker)."""
    register_gauge("atelier_jobs", "Jobs by kind and status.", ("kind", "status"), lifecycle.count_by_status)
    register_gauge(
        "atelier_queue_depth", "Jobs waiting for a worker, per queue.", ("queue",),
        lambda: [((queue,), lifecycle.waiting_count())],
    )
