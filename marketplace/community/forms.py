from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.community.models import Report

REPORT_NOTE_MAX_LENGTH = 500


class ReportForm(forms.Form):
    # No initial reason: the reporter has to say which one.
    reason = forms.ChoiceField(
        label=_("Why are you reporting this?"), choices=Report.Reason.choices, widget=forms.RadioSelect,
        error_messages={"required": _("Choose why you are reporting this.")},
    )
    note = forms.CharField(
        label=_("Anything the moderators should know? (optional)"), required=False,
        max_length=REPORT_NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Up to %(max)s characters. Only the moderators read it.") % {"max": REPORT_NOTE_MAX_LENGTH},
        error_messages={
            "max_length": _("Keep the note to %(limit_value)d characters; this one has %(show_value)d."),
        },
    )
