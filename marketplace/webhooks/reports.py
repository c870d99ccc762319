"""Parsing of a worker's status report: {"status", "progress", "failure_reason"}."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from marketplace.webhooks.responses import BadRequest

ALLOWED_FIELDS = {"status", "progress", "failure_reason"}
MAX_REASON_LENGTH = 2000


@dataclass(frozen=True)
class StatusReport:
    status: str
    progress: int | None
    failure_reason: str


def parse_status_report(body: dict, *, statuses: set[str]) -> StatusReport:
    unknown = set(body) - ALLOWED_FIELDS
    if unknown:
        raise BadRequest(_("Unknown field(s): %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    status = body.get("status")
    if status not in statuses:
        raise BadRequest(_("status must be one of: %(choices)s.") % {"choices": ", ".join(sorted(statuses))})
    progress = body.get("progress")
    whole = isinstance(progress, int) and not isinstance(progress, bool)
    if progress is not None and not (whole and 0 <= progress <= 100):
        raise BadRequest(_("progress must be a whole number from 0 to 100."))
    reason = body.get("failure_reason", "")
    if not isinstance(reason, str) or len(reason) > MAX_REASON_LENGTH:
        raise BadRequest(_("failure_reason must be text of at most %(n)s characters.") % {"n": MAX_REASON_LENGTH})
    return StatusReport(status=status, progress=progress, failure_reason=reason)
