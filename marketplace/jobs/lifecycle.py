"""The one lifecycle of a job an AI worker runs: a style's training or an image's generation.

    waiting ──▶ running ──▶ completed
       │           └──────▶ failed
       ├─────────────────▶ failed
       └─────────────────▶ cancelled   (only where the job can be cancelled)

Each domain describes its model with a `JobLifecycle` (which field holds
the status, which statuses play which part, which file is the output); the
rules below are then the same for both. Domains keep their side effects
(refunds, earnings, notifications, listing a style) in their services.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import models, transaction
from django.db.models import Avg, DurationField, ExpressionWrapper, F
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.core.exceptions import ServiceError

logger = logging.getLogger(__name__)

# The words every job's status shares, whatever its domain calls waiting and running.
COMPLETED = "completed"
FAILED = "failed"

RECENT_JOBS = 20  # finished jobs the duration estimate averages over
# The estimate is an exponential moving average of run times, kept in the cache per kind of job and moved on
# every completion; this weight is the usual 2/(N+1) for an N-job window.
AVERAGE_WEIGHT = 2 / (RECENT_JOBS + 1)
# A poll reads the queue from a snapshot in the cache (who waits, in order, and when the running jobs
# started), rebuilt by one indexed query when it is older than this: one query per period, not per poll.
QUEUE_SNAPSHOT_SECONDS = 2
NO_AVERAGE = -1.0  # cached when no job has finished yet


class TransitionNotAllowed(ServiceError):
    code = "conflict"


@dataclass(frozen=True)
class QueueInfo:
    position: int  # 1 = next to start
    running: int
    average_duration: timedelta | None
    estimated_start: datetime | None


@dataclass(frozen=True)
class JobLifecycle:
    model: type[models.Model]
    status_field: str
    progress_field: str
    started_field: str
    completed_field: str  # stamped on completion; with started_field it times a run
    output_field: str  # the file the worker uploads before it may report completed
    output_name: str  # "artifact" / "image": `has_<name>` in the status JSON
    output_label: str  # how a message names the output ("trained artefact", "image")
    waiting: str
    running: str
    completed: str
    failed: str
    cancelled: str | None = None
    failed_field: str | None = None  # stamped when the job fails or is cancelled, if the model keeps it
    default_failure_reason: str = ""
    transitions: Mapping[str, frozenset[str]] = field(init=False)

    def __post_init__(self) -> None:
        # The transition table, as data: the one place it is defined.
        from_waiting = {self.running, self.failed} | ({self.cancelled} if self.cancelled else set())
        table = {self.waiting: frozenset(from_waiting), self.running: frozenset({self.completed, self.failed})}
        object.__setattr__(self, "transitions", table)

    @property
    def finished(self) -> frozenset[str]:
        return frozenset(s for s in (self.completed, self.failed, self.cancelled) if s)

    @property
    def worker_reports(self) -> frozenset[str]:
        """What a worker may report; cancelling is the owner's, never the worker's."""
        return frozenset({self.running, self.completed, self.failed})

    def status_of(self, job) -> str:
        return getattr(job, self.status_field)

    def is_finished(self, job) -> bool:
        return self.status_of(job) in self.finished

    def check_open(self, job) -> None:
        """Refuse to change a finished job's output."""
        if self.is_finished(job):
            raise TransitionNotAllowed(
                _("This job has ended; its %(output)s can no longer change.") % {"output": self.output_label}
            )

    def advance(self, job, *, status: str, progress: int | None = None, failure_reason: str = "") -> list[str] | None:
        """Move `job` (locked by the caller) to `status`, in memory.

        Returns the changed field names for `save(update_fields=...)`, or None
        when nothing changes: the same report twice is a no-op, and progress
        only goes up. Raises TransitionNotAllowed for any other move, and for
        `completed` before the output is uploaded.
        """
        current = self.status_of(job)
        if status == current:
            if status == self.running and progress is not None and progress > getattr(job, self.progress_field):
                setattr(job, self.progress_field, progress)
                return [self.progress_field, "updated_at"]
            return None
        if status not in self.transitions.get(current, ()):
            raise TransitionNotAllowed(
                _("A job that is %(current)s cannot become %(status)s.") % {"current": current, "status": status}
            )
        if status == self.completed and not getattr(job, self.output_field):
            raise TransitionNotAllowed(
                _("Upload the %(output)s before reporting completed.") % {"output": self.output_label}
            )
        now = timezone.now()
        setattr(job, self.status_field, status)
        self._log_change(job, current, status, now)
        changed = [self.status_field, "updated_at"]
        if status == self.running:
            setattr(job, self.progress_field, progress or 0)
            setattr(job, self.started_field, now)
            changed += [self.progress_field, self.started_field]
        elif status == self.completed:
            setattr(job, self.completed_field, now)
            setattr(job, self.progress_field, 100)
            changed += [self.completed_field, self.progress_field]
            started = getattr(job, self.started_field)
            if started:
                seconds = (now - started).total_seconds()
                transaction.on_commit(lambda: self._record_duration(seconds))
        else:
            job.failure_reason = failure_reason.strip() or str(self.default_failure_reason)
            changed.append("failure_reason")
            if self.failed_field:
                setattr(job, self.failed_field, now)
                changed.append(self.failed_field)
        return changed

    def _log_change(self, job, before: str, after: str, now: datetime) -> None:
        """One line per state change: job, kind, from, to, and how long it was in the old state."""
        since = getattr(job, self.started_field) if before == self.running else job.created_at
        seconds = (now - since).total_seconds() if since else 0.0
        kind = self.model._meta.model_name
        logger.info(
            "job %s %s: %s -> %s after %.1f s", kind, job.pk, before, after, seconds,
            extra={"job_id": job.pk, "job_kind": kind, "from_status": before, "to_status": after,
                   "duration_s": round(seconds, 3)},
        )

    # --- reads ---------------------------------------------------------------------------

    def count_by_status(self) -> list[tuple[tuple[str, str], int]]:
        """((kind, status), count) for every status: the jobs-by-status metric."""
        objects = self.model._default_manager
        counts = dict(objects.order_by().values_list(self.status_field).annotate(n=models.Count("pk")))
        kind = self.model._meta.model_name
        statuses = [value for value, _label in self.model._meta.get_field(self.status_field).choices]
        return [((kind, status), counts.get(status, 0)) for status in statuses]

    def waiting_count(self) -> int:
        return self.model._default_manager.filter(**{self.status_field: self.waiting}).count()

    def average_duration(self) -> timedelta | None:
        """The running average of run times: from the cache, seeded from the last RECENT_JOBS completed jobs."""
        seconds = cache.get(self._average_key)
        if seconds is None:
            seconds = self._recent_average_seconds()
            # "None finished yet" is remembered for a while too; the first completion replaces it.
            cache.add(self._average_key, NO_AVERAGE if seconds is None else seconds,
                      timeout=QUEUE_SNAPSHOT_SECONDS * 30 if seconds is None else None)
        return None if seconds is None or seconds == NO_AVERAGE else timedelta(seconds=seconds)

    def _recent_average_seconds(self) -> float | None:
        objects = self.model._default_manager
        recent = (
            objects.filter(**{self.status_field: self.completed, f"{self.started_field}__isnull": False})
            .order_by(f"-{self.completed_field}")
            .values_list("pk", flat=True)[:RECENT_JOBS]
        )
        duration = ExpressionWrapper(F(self.completed_field) - F(self.started_field), output_field=DurationField())
        average = objects.filter(pk__in=recent).aggregate(avg=Avg(duration))["avg"]
        return average.total_seconds() if average is not None else None

    def _record_duration(self, seconds: float) -> None:
        """Move the running average towards one finished job's run time (after its completion commits)."""
        previous = cache.get(self._average_key)
        if previous is None or previous == NO_AVERAGE:
            previous = self._recent_average_seconds()  # already counts this job: it has committed
            if previous is None:
                previous = seconds
        cache.set(self._average_key, previous + AVERAGE_WEIGHT * (seconds - previous), timeout=None)

    @property
    def _average_key(self) -> str:
        return f"jobs:average-seconds:{self.model._meta.label_lower}"

    def _queue_snapshot(self) -> dict:
        """Who waits, oldest first, as (created_at, pk), and when the running jobs started: one query
        (on the model's index of unfinished jobs) at most every QUEUE_SNAPSHOT_SECONDS."""
        key = f"jobs:queue:{self.model._meta.label_lower}"
        snapshot = cache.get(key)
        if snapshot is None:
            rows = (
                self.model._default_manager.filter(**{f"{self.status_field}__in": [self.waiting, self.running]})
                .order_by("created_at", "pk")
                .values_list(self.status_field, "created_at", "pk", self.started_field)
            )
            snapshot = {"waiting": [], "running": []}
            for status, created_at, pk, started_at in rows:
                if status == self.waiting:
                    snapshot["waiting"].append((created_at, pk))
                else:
                    snapshot["running"].append(started_at)
            cache.set(key, snapshot, timeout=QUEUE_SNAPSHOT_SECONDS)
        return snapshot

    def queue_info(self, job) -> QueueInfo | None:
        """A waiting job's place in line and its estimated start; None once it has started.

        The place is counted in the cached snapshot (at most QUEUE_SNAPSHOT_SECONDS old); a job newer than
        the snapshot is behind everyone in it. The estimate assumes jobs run one after another (one
        worker): what is left of the running jobs, then one average duration per job ahead.
        """
        if self.status_of(job) != self.waiting:
            return None
        snapshot = self._queue_snapshot()
        ahead = bisect_left(snapshot["waiting"], (job.created_at, job.pk))
        running = snapshot["running"]
        average = self.average_duration()
        estimate = None
        if average is not None:
            now = timezone.now()
            remaining = max((start + average - now for start in running if start), default=timedelta(0))
            estimate = now + max(remaining, timedelta(0)) + average * ahead
        return QueueInfo(position=ahead + 1, running=len(running), average_duration=average, estimated_start=estimate)

    def stalled(self, *, timeout: timedelta) -> tuple[list[int], list[int]]:
        """(running too long, waiting in vain): ids of jobs a sweep should fail.

        A running job is stalled `timeout` after it started. A waiting job is stalled only
        when it has waited `timeout` and no job of its kind started meanwhile: while the queue
        moves, a backlog waits its turn; when nothing has been taken up for that long, no
        worker is there to take it.
        """
        limit = timezone.now() - timeout
        objects = self.model._default_manager
        running = objects.filter(**{self.status_field: self.running, f"{self.started_field}__lt": limit})
        moving = objects.filter(**{f"{self.started_field}__gte": limit}).exists()
        waiting = objects.filter(**{self.status_field: self.waiting, "created_at__lt": limit})
        return list(running.values_list("pk", flat=True)), [] if moving else list(waiting.values_list("pk", flat=True))

    def fail_stalled(self, *, timeout: timedelta, fail, ran_too_long: str, nobody_took_it: str) -> int:
        """Fail every stalled job through the domain's `fail(pk, reason)`; returns how many failed."""
        running, waiting = self.stalled(timeout=timeout)
        failed = 0
        for pks, reason in ((running, ran_too_long), (waiting, nobody_took_it)):
            for pk in pks:
                try:
                    fail(pk, reason)
                    failed += 1
                except TransitionNotAllowed:
                    pass  # finished meanwhile
        return failed

    def status_json(self, job, *, changed: bool | None = None) -> dict:
        """The worker API's view of a job (docs/worker-protocol.md)."""
        data = {
            "id": job.pk,
            "status": self.status_of(job),
            "progress": getattr(job, self.progress_field),
            "failure_reason": job.failure_reason,
            f"has_{self.output_name}": bool(getattr(job, self.output_field)),
        }
        if changed is not None:
            data["changed"] = changed
        return data
