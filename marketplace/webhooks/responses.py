import json

from django.http import JsonResponse
from django.utils.translation import gettext as _


class BadRequest(Exception):
    pass


def json_error(message: str, code: str, status: int) -> JsonResponse:
    """The seed plan's error shape: {"error": "...", "code": "..."}."""
    return JsonResponse({"error": message, "code": code}, status=status)


def parse_json_object(request) -> dict:
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(_("The body must be JSON.")) from exc
    if not isinstance(body, dict):
        raise BadRequest(_("The body must be a JSON object."))
    return body
