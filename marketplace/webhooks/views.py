"""The JSON API for AI workers (docs/worker-protocol.md).

Each view: verify the token, parse, hand off to one domain service, map
its outcome to a status code. No business rule lives here.
"""

from __future__ import annotations

from django.http import FileResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from marketplace.styles.models import Style, TrainingImage
from marketplace.styles.services import TransitionNotAllowed, style_report_training, style_store_artifact
from marketplace.webhooks.auth import worker_required
from marketplace.webhooks.reports import parse_status_report
from marketplace.webhooks.responses import BadRequest, json_error, parse_json_object
from marketplace.webhooks.uploads import TooLarge, read_body_to_file

MAX_ARTIFACT_BYTES = 512 * 1024 * 1024
TRAINING_REPORT_STATUSES = {Style.Status.TRAINING, Style.Status.COMPLETED, Style.Status.FAILED}


def style_json(style: Style, *, changed: bool | None = None) -> dict:
    data = {
        "id": style.pk,
        "status": style.training_status,
        "progress": style.training_progress,
        "failure_reason": style.failure_reason,
        "has_artifact": bool(style.model_path),
    }
    if changed is not None:
        data["changed"] = changed
    return data


@worker_required
@require_http_methods(["GET", "PATCH"])
def model_status(request, style_id: int) -> JsonResponse:
    if request.method == "GET":
        return JsonResponse(style_json(get_object_or_404(Style, pk=style_id)))
    try:
        report = parse_status_report(parse_json_object(request), statuses=TRAINING_REPORT_STATUSES)
        style, changed = style_report_training(
            style_id=style_id, status=report.status, progress=report.progress, failure_reason=report.failure_reason
        )
    except BadRequest as exc:
        return json_error(str(exc), "bad_request", 400)
    except Style.DoesNotExist:
        return json_error(_("No style with this id."), "not_found", 404)
    except TransitionNotAllowed as exc:
        return json_error(exc.message, "conflict", 409)
    return JsonResponse(style_json(style, changed=changed))


@worker_required
@require_http_methods(["GET", "PUT"])
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
    return JsonResponse(style_json(style, changed=True))


@worker_required
@require_GET
def training_image(request, style_id: int, image_id: int) -> FileResponse:
    image = get_object_or_404(TrainingImage, pk=image_id, style_id=style_id)
    return FileResponse(image.image.open("rb"))
