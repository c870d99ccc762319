"""Reporting an image, a comment or a style to the moderators."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
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
THANKS = gettext_lazy("Thank you. The moderators will look at your report.")


def _home_of(target) -> str:
    """Where the reported thing is seen: its page, or for a comment its place on the image page."""
    if isinstance(target, Comment):
        return f"{target.generation.get_absolute_url()}#comment-{target.pk}"
    return target.get_absolute_url()


def _owner_id(target) -> int:
    return target.artist_id if isinstance(target, Style) else target.user_id


def _reported(user, target) -> bool:
    """Whether user's report on target is still open (then there is nothing to send)."""
    return Report.objects.filter(
        reporter=user, target_type=ContentType.objects.get_for_model(target), target_id=target.pk,
        status=Report.Status.OPEN,
    ).exists()


@login_required
@require_http_methods(["GET", "POST"])
def report(request: HtmxHttpRequest, model: str, pk: int):
    try:
        target = report_target(user=request.user, model_name=model, object_id=pk)
    except ObjectDoesNotExist:
        raise Http404 from None
    form = ReportForm(request.POST or None)
    context = {
        "target": target, "target_model": model, "back": _home_of(target), "form": form,
        "already": _reported(request.user, target), "done": False,
        # The service has the last word; this only spares its owner a form they cannot send.
        "refusal": _("You cannot report your own work.") if _owner_id(target) == request.user.pk else "",
    }
    posted = request.method == "POST"
    if posted and not (context["already"] or context["refusal"]) and form.is_valid():
        try:
            report_create(reporter=request.user, target=target, **form.cleaned_data)
        except ServiceError as exc:
            context["refusal"] = exc.message
        else:
            context["done"] = True
    settled = context["done"] or context["already"]
    if posted and settled and not wants_fragment(request):
        # Without htmx: back to the object, with the outcome as a message.
        messages.add_message(request, messages.INFO if context["already"] else messages.SUCCESS,
                             ALREADY_REPORTED if context["already"] else THANKS)
        return redirect(context["back"])
    status = 422 if posted and not settled else 200
    return render_page(request, "community/report.html", context, fragment="report-form", status=status)
