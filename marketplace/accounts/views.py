from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from marketplace.accounts.forms import ProfileForm
from marketplace.accounts.services import user_update_profile
from marketplace.core.ratelimit import rate_limit
from marketplace.core.types import HtmxHttpRequest


@login_required
@require_safe
def profile(request: HtmxHttpRequest):
    return render(request, "accounts/profile.html")


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("profile")
def profile_edit(request: HtmxHttpRequest):
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES)
        if form.is_valid():
            user_update_profile(user=user, **form.cleaned_data)
            messages.success(request, _("Your profile has been updated."))
            return redirect("accounts:profile")
        messages.error(request, _("Your profile was not saved. Please correct the errors below."))
    else:
        form = ProfileForm(initial={"display_name": user.display_name, "bio": user.bio})
    return render(request, "accounts/profile_edit.html", {"form": form})
