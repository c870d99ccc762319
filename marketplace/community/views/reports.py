"""Reporting an image, a comment or a style to the moderators."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from marketplace.community.forms import ReportForm
from marketplace.community.models import Comment, Report
from marketplace.community.services import report_create, report_target
from marketplace.core.exceptions import ServiceError
from marketplace.core.htmx import render_page, wants_fragment
from marketplace.core.types import HtmxHttpRequest
from marketplace.styles.models import Style

ALREADY_REPORTED = gettext_lazy("You have already reported this; the moderators will look at it.")


def _home_of(target) -> str:
    """Where the reported thing is seen: its page, or for a comment its place on the image page."""
    if isinstance(target, Comment):
        return f"{target.generation.get_absolute_url()}#comment-{target.pk}"
    return target.get_absolute_url()


def _owner_id(target) -> int:
    return target.artist_id if isinstance(target, Style) else target.user_id


@login_required
@require_http_methods(["GET", "POST"])
def report(request: HtmxHttpRequest, model: str, pk: int):
    try:
        target = report_target(user=request.user, model_name=model, object_id=pk)
    except ObjectDoesNotExist:
        raise Http404 from None
    mine = Report.objects.filter(
        reporter=request.user, target_type__app_label=target._meta.app_label,
        target_type__model=target._meta.model_name, target_id=target.pk, status=Report.Status.OPEN,
    )
    context = {
        "target": target, "target_model": model, "back": _home_of(target), "form": ReportForm(request.POST or None),
        "already": mine.exists(), "done": False,
        # The service has the last word; this only spares its owner a form they cannot send.
        "refusal": _("You cannot report your own work.") if _owner_id(target) == request.user.pk else "",
    }
    if request.method == "GET":
        return render_page(request, "community/report.html", context, fragment="report-form")
    if context["already"]:
        if not wants_fragment(request):
            messages.info(request, ALREADY_REPORTED)
            return redirect(context["back"])
        return render_page(request, "community/report.html", context, fragment="report-form")
    form = context["form"]
    if not context["refusal"] and form.is_valid():
        try:
            report_create(reporter=request.user, target=target, **form.cleaned_data)
        except ServiceError as exc:
            context["refusal"] = exc.message
        else:
            if not wants_fragment(request):
                messages.success(request, _("Thank you. The moderators will look at your report."))
                return redirect(context["back"])
            context["done"] = True
            return render_page(request, "community/report.html", context, fragment="report-form")
    return render_page(request, "community/report.html", context, fragment="report-form", status=422)
