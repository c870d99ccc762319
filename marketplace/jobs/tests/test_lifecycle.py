"""The one job lifecycle, as trainings and generations both use it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.generations.models import GENERATION_LIFECYCLE, Generation
from marketplace.jobs.lifecycle import TransitionNotAllowed
from marketplace.styles.models import TRAINING_LIFECYCLE, Style


def test_both_domains_share_one_transition_table_shape():
    assert TRAINING_LIFECYCLE.transitions == {
        "pending": {"training", "failed"},
        "training": {"completed", "failed"},
    }
    assert GENERATION_LIFECYCLE.transitions == {
        "queued": {"processing", "failed", "cancelled"},
        "processing": {"completed", "failed"},
    }
    assert TRAINING_LIFECYCLE.finished == {"completed", "failed"}
    assert GENERATION_LIFECYCLE.finished == {"completed", "failed", "cancelled"}
    assert GENERATION_LIFECYCLE.worker_reports == {"processing", "completed", "failed"}


@pytest.mark.parametrize("lifecycle", [TRAINING_LIFECYCLE, GENERATION_LIFECYCLE], ids=["training", "generation"])
def test_every_status_pair_is_allowed_exactly_when_the_table_says(lifecycle, make_style, make_generation):
    statuses = [value for value, _ in lifecycle.model._meta.get_field(lifecycle.status_field).choices]
    for current in statuses:
        for new in statuses:
            job = make_style() if lifecycle is TRAINING_LIFECYCLE else make_generation()
            setattr(job, lifecycle.status_field, current)
            setattr(job, lifecycle.output_field, "uploaded/output.bin")
            allowed = new == current or new in lifecycle.transitions.get(current, ())
            if allowed:
                lifecycle.advance(job, status=new)
                assert lifecycle.status_of(job) == new
            else:
                with pytest.raises(TransitionNotAllowed):
                    lifecycle.advance(job, status=new)
                assert lifecycle.status_of(job) == current


def test_the_same_report_twice_changes_nothing_and_progress_only_rises(make_generation):
    generation = make_generation(status=Generation.Status.PROCESSING, progress=40)
    assert GENERATION_LIFECYCLE.advance(generation, status="processing", progress=30) is None
    assert GENERATION_LIFECYCLE.advance(generation, status="processing", progress=40) is None
    assert GENERATION_LIFECYCLE.advance(generation, status="processing", progress=60) == ["progress", "updated_at"]
    assert generation.progress == 60


def test_completed_needs_the_output_first(make_style):
    style = make_style(training_status=Style.Status.TRAINING)
    with pytest.raises(TransitionNotAllowed, match="Upload the trained artefact"):
        TRAINING_LIFECYCLE.advance(style, status="completed")


def test_failure_without_a_reason_gets_the_domains_default(make_style):
    style = make_style(training_status=Style.Status.PENDING)
    TRAINING_LIFECYCLE.advance(style, status="failed", failure_reason="  ")
    assert style.failure_reason == "The training worker stopped without giving a reason."
    assert style.trained_at is None  # a failed training was never trained


def test_queue_estimate_counts_what_is_left_of_the_running_job_then_one_average_per_job_ahead(
    make_generation,
):
    now = timezone.now()
    for minutes_ago in (30, 20):  # two finished jobs: 2 and 4 minutes each, average 3
        done = make_generation(status=Generation.Status.COMPLETED)
        took = 2 if minutes_ago == 30 else 4
        Generation.objects.filter(pk=done.pk).update(
            started_at=now - timedelta(minutes=minutes_ago), finished_at=now - timedelta(minutes=minutes_ago - took)
        )
    running = make_generation(status=Generation.Status.PROCESSING)
    Generation.objects.filter(pk=running.pk).update(started_at=now - timedelta(minutes=1))  # ~2 minutes left
    first, second = make_generation(), make_generation()

    info = GENERATION_LIFECYCLE.queue_info(second)
    assert info.position == 2 and info.running == 1
    assert info.average_duration == timedelta(minutes=3)
    expected = now + timedelta(minutes=2) + timedelta(minutes=3)
    assert abs(info.estimated_start - expected) < timedelta(seconds=5)
    assert GENERATION_LIFECYCLE.queue_info(first).position == 1
    assert GENERATION_LIFECYCLE.queue_info(running) is None


def test_the_running_average_moves_towards_each_completed_run_once_it_commits(
    make_generation, django_capture_on_commit_callbacks
):
    from marketplace.generations.services import generation_report

    now = timezone.now()
    done = make_generation(status=Generation.Status.COMPLETED)
    Generation.objects.filter(pk=done.pk).update(started_at=now - timedelta(minutes=10), finished_at=now)
    assert GENERATION_LIFECYCLE.average_duration() == timedelta(minutes=10)  # seeded from the finished jobs

    job = make_generation(image="generations/x.png")
    generation_report(generation_id=job.pk, status="processing")
    Generation.objects.filter(pk=job.pk).update(started_at=now - timedelta(minutes=1))  # a one-minute run
    with django_capture_on_commit_callbacks(execute=True):
        generation_report(generation_id=job.pk, status="completed")

    moved = GENERATION_LIFECYCLE.average_duration().total_seconds()
    weight = 2 / 21  # an exponential moving average over about 20 jobs
    assert moved == pytest.approx(600 + weight * (60 - 600), abs=2)


def test_a_poll_reads_the_queue_from_a_snapshot_that_places_newer_jobs_last(
    make_generation, django_assert_num_queries
):
    first = make_generation()
    GENERATION_LIFECYCLE.queue_info(first)  # reads the snapshot (and the average) into the cache
    second = make_generation()  # arrives after the snapshot

    with django_assert_num_queries(0):
        assert GENERATION_LIFECYCLE.queue_info(first).position == 1
        assert GENERATION_LIFECYCLE.queue_info(second).position == 2  # behind everyone in the snapshot
        assert GENERATION_LIFECYCLE.queue_info(second).estimated_start is None  # nothing has finished yet


def test_status_json_is_one_shape_named_for_each_output(make_style, make_generation):
    style = make_style(training_status=Style.Status.PENDING)
    assert TRAINING_LIFECYCLE.status_json(style, changed=False) == {
        "id": style.pk, "status": "pending", "progress": 0, "failure_reason": "", "has_artifact": False,
        "changed": False,
    }
    generation = make_generation()
    assert GENERATION_LIFECYCLE.status_json(generation) == {
        "id": generation.pk, "status": "queued", "progress": 0, "failure_reason": "", "has_image": False,
    }
