import json
from functools import wraps

from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt


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
    except RecursionError as exc:  # json.loads recurses once per level: 10,000 nested lists exhaust the stack
        raise BadRequest(_("The JSON is nested too deeply.")) from exc
    if not isinstance(body, dict):
        raise BadRequest(_("The body must be a JSON object."))
    return body


def api_view(methods: list[str]):
    """An endpoint of the worker API: only `methods` (else a JSON 405 with Allow), and a JSON 404
    instead of Django's HTML page when the view raises Http404 (get_object_or_404)."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                response = json_error(
                    _("%(method)s is not allowed here; use %(allowed)s.")
                    % {"method": request.method, "allowed": ", ".join(methods)},
                    "method_not_allowed", 405,
                )
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, **kwargs)
            except Http404:
                return json_error(_("No such job or file."), "not_found", 404)

        return wrapper

    return decorate
