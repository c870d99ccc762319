"""Where a style stands in the training queue, and when it should start.

The estimate assumes trainings run one after another (as on a single GPU
worker) and uses the average duration of the last finished trainings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, DurationField, ExpressionWrapper, F, Q
from django.utils import timezone

from marketplace.styles.models import Style

RECENT_TRAININGS = 20


@dataclass(frozen=True)
class QueueInfo:
    position: int  # 1 = next to start
    running: int
    average_duration: timedelta | None
    estimated_start: datetime | None


def training_average_duration() -> timedelta | None:
    recent = (
        Style.objects.filter(training_status=Style.Status.COMPLETED, training_started_at__isnull=False)
        .order_by("-trained_at")
        .values_list("pk", flat=True)[:RECENT_TRAININGS]
    )
    duration = ExpressionWrapper(F("trained_at") - F("training_started_at"), output_field=DurationField())
    return Style.objects.filter(pk__in=list(recent)).aggregate(avg=Avg(duration))["avg"]


def training_queue_info(style: Style) -> QueueInfo | None:
    """None unless the style is still waiting (pending)."""
    if style.training_status != Style.Status.PENDING:
        return None
    ahead = Style.objects.filter(training_status=Style.Status.PENDING).filter(
        Q(created_at__lt=style.created_at) | Q(created_at=style.created_at, pk__lt=style.pk)
    ).count()
    running = list(
        Style.objects.filter(training_status=Style.Status.TRAINING).values_list("training_started_at", flat=True)
    )
    average = training_average_duration()
    estimate = None
    if average is not None:
        now = timezone.now()
        # What is left of the running trainings, then one average per style ahead.
        remaining = max((start + average - now for start in running if start), default=timedelta(0))
        estimate = now + max(remaining, timedelta(0)) + average * ahead
    return QueueInfo(position=ahead + 1, running=len(running), average_duration=average, estimated_start=estimate)
