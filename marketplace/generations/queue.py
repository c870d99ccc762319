"""A queued generation's place in line and its estimated start (recent processing times)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, DurationField, ExpressionWrapper, F, Q
from django.utils import timezone

from marketplace.generations.models import Generation

RECENT = 50


@dataclass(frozen=True)
class QueueInfo:
    position: int  # 1 = next to start
    estimated_start: datetime | None


def generation_average_duration() -> timedelta | None:
    recent = (
        Generation.objects.filter(status=Generation.Status.COMPLETED, started_at__isnull=False)
        .order_by("-finished_at")
        .values_list("pk", flat=True)[:RECENT]
    )
    duration = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
    return Generation.objects.filter(pk__in=list(recent)).aggregate(avg=Avg(duration))["avg"]


def generation_queue_info(generation: Generation) -> QueueInfo | None:
    if generation.status != Generation.Status.QUEUED:
        return None
    ahead = Generation.objects.filter(status=Generation.Status.QUEUED).filter(
        Q(created_at__lt=generation.created_at) | Q(created_at=generation.created_at, pk__lt=generation.pk)
    ).count()
    average = generation_average_duration()
    estimate = timezone.now() + average * ahead if average is not None else None
    return QueueInfo(position=ahead + 1, estimated_start=estimate)
