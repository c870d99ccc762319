"""The JSON API for AI workers (docs/worker-protocol.md).

Each view: verify the token, parse, hand off to one domain service, map
its outcome to a status code. No business rule lives here.
"""

from __future__ import annotations

import functools
import time

from django.http import FileResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from marketplace.core.exceptions import ServiceError
from marketplace.core.metrics import WORKER_REPORT_LATENCY
from marketplace.core.ratelimit import api_rate_limit
from marketplace.generations.models import GENERATION_LIFECYCLE, Generation
from marketplace.generations.services import MAX_IMAGE_BYTES, generation_report, generation_store_image
from marketplace.generations.status import generation_status_for_owner
from marketplace.jobs.lifecycle import TransitionNotAllowed
from marketplace.styles.models import TRAINING_LIFECYCLE, Style, TrainingImage
from marketplace.styles.services import style_report_training, style_store_artifact
from marketplace.webhooks.auth import (
    Refused,
    authenticate,
    check_scope,
    generation_job,
    has_worker_credentials,
    refused_response,
    style_model,
    training_job,
    worker_required,
)
from marketplace.webhooks.reports import parse_status_report
from marketplace.webhooks.responses import BadRequest, api_view, json_error, parse_json_object
from marketplace.webhooks.uploads import TooLarge, read_body_to_file

MAX_ARTIFACT_BYTES = 512 * 1024 * 1024


def timed_report(kind: str):
    """Observe how long Atelier takes to take in a worker's report or upload (reads are not timed)."""
    def decorate(view):
        @functools.wraps(view)
        def timed(request, *args, **kwargs):
            started = time.perf_counter()
            response = view(request, *args, **kwargs)
            if request.method in ("PATCH", "PUT"):
                outcome = "ok" if response.status_code < 400 else str(response.status_code)
                WORKER_REPORT_LATENCY.labels(kind=kind, outcome=outcome).observe(time.perf_counter() - started)
            return response
        return timed
    return decorate


@timed_report("training")
@api_view(["GET", "PATCH"])
@api_rate_limit("worker")
@worker_required(training_job)
def model_status(request, style_id: int) -> JsonResponse:
    if request.method == "GET":
        return JsonResponse(TRAINING_LIFECYCLE.status_json(get_object_or_404(Style, pk=style_id)))
    try:
        report = parse_status_report(parse_json_object(request), statuses=TRAINING_LIFECYCLE.worker_reports)
        style, changed = style_report_training(
            style_id=style_id, status=report.status, progress=report.progress, failure_reason=report.failure_reason
        )
    except BadRequest as exc:
        return json_error(str(exc), "bad_request", 400)
    except Style.DoesNotExist:
        return json_error(_("No style with this id."), "not_found", 404)
    except TransitionNotAllowed as exc:
        return json_error(exc.message, "conflict", 409)
    return JsonResponse(TRAINING_LIFECYCLE.status_json(style, changed=changed))


@timed_report("training")
@api_view(["GET", "PUT"])
@api_rate_limit("worker")
@worker_required(style_model, max_body=MAX_ARTIFACT_BYTES)
def model_artifact(request, style_id: int):
    style = get_object_or_404(Style, pk=style_id)
    if request.method == "GET":
        if not style.model_path:
            return json_error(_("This style has no trained artefact yet."), "not_found", 404)
        return FileResponse(style.model_path.open("rb"), content_type="application/octet-stream")
    try:
        upload = read_body_to_file(request, max_bytes=MAX_ARTIFACT_BYTES)
    except TooLarge:
        return json_error(_("The artefact is larger than 512 MB."), "too_large", 413)
    with upload:
        if upload.size == 0:
            return json_error(_("The artefact is empty."), "bad_request", 400)
        try:
            style = style_store_artifact(style_id=style.pk, artifact=upload)
        except TransitionNotAllowed as exc:
            return json_error(exc.message, "conflict", 409)
    return JsonResponse(TRAINING_LIFECYCLE.status_json(style, changed=True))


@api_view(["GET"])
@api_rate_limit("worker")
@worker_required(training_job)
def training_image(request, style_id: int, image_id: int) -> FileResponse:
    image = get_object_or_404(TrainingImage, pk=image_id, style_id=style_id)
    return FileResponse(image.image.open("rb"))


# --- Generations --------------------------------------------------------------------

@timed_report("generation")
@api_view(["GET", "PATCH"])
@api_rate_limit("worker")
def image_status(request, generation_id: int) -> JsonResponse:
    """GET: the owner (session) or a worker (token) reads the status. PATCH: a worker reports."""
    if request.method == "GET" and not has_worker_credentials(request):
        # The seed plan's polling endpoint for the owner; anyone else gets 404, not a hint.
        if not request.user.is_authenticated:
            return json_error(_("No image with this id."), "not_found", 404)
        generation = request.user.generations.filter(pk=generation_id).first()
        if generation is None:
            return json_error(_("No image with this id."), "not_found", 404)
        return JsonResponse(generation_status_for_owner(generation))  # DjangoJSONEncoder writes ISO 8601 times
    try:
        check_scope(authenticate(request), generation_job, request.method, {"generation_id": generation_id})
    except Refused as exc:
        return refused_response(exc)
    if request.method == "GET":
        return JsonResponse(GENERATION_LIFECYCLE.status_json(get_object_or_404(Generation, pk=generation_id)))
    try:
        report = parse_status_report(parse_json_object(request), statuses=GENERATION_LIFECYCLE.worker_reports)
        generation, changed = generation_report(
            generation_id=generation_id, status=report.status, progress=report.progress,
            failure_reason=report.failure_reason,
        )
    except BadRequest as exc:
        return json_error(str(exc), "bad_request", 400)
    except Generation.DoesNotExist:
        return json_error(_("No image with this id."), "not_found", 404)
    except TransitionNotAllowed as exc:
        return json_error(exc.message, "conflict", 409)
    return JsonResponse(GENERATION_LIFECYCLE.status_json(generation, changed=changed))


@timed_report("generation")
@api_view(["PUT"])
@api_rate_limit("worker")
@worker_required(generation_job, max_body=MAX_IMAGE_BYTES)
def image_upload(request, generation_id: int) -> JsonResponse:
    get_object_or_404(Generation, pk=generation_id)
    try:
        upload = read_body_to_file(request, max_bytes=MAX_IMAGE_BYTES)
    except TooLarge:
        return json_error(_("The image is larger than 20 MB."), "too_large", 413)
    with upload:
        data = upload.read()
    try:
        generation = generation_store_image(generation_id=generation_id, data=data)
    except TransitionNotAllowed as exc:
        return json_error(exc.message, "conflict", 409)
    except ServiceError as exc:
        return json_error(exc.message, "bad_request", 400)
    return JsonResponse(GENERATION_LIFECYCLE.status_json(generation, changed=True))


def unknown_endpoint(request) -> JsonResponse:
    return json_error(_("There is no such endpoint in the worker API."), "not_found", 404)
