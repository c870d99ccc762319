from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from marketplace.accounts.forms import ProfileForm
from marketplace.accounts.services import user_update_profile
from marketplace.core.types import HtmxHttpRequest
from marketplace.generations.models import Generation
from marketplace.styles.models import Style

ARTIST_IMAGES_PER_PAGE = 24
ARTIST_STYLES = 12


@login_required
@require_GET
def profile(request: HtmxHttpRequest):
    return render(request, "accounts/profile.html")


@login_required
@require_http_methods(["GET", "POST"])
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


@require_GET
def artist(request: HtmxHttpRequest, username: str):
    """An artist's public page, by handle; a numeric id redirects to the handle's address."""
    people = get_user_model().objects.filter(is_active=True)
    artist = people.annotate(follower_count=Count("follower_set")).filter(username=username).first()
    if artist is None:
        if not username.isdigit():
            raise Http404
        return redirect(get_object_or_404(people, pk=username))
    styles = list(
        Style.objects.live().filter(artist=artist).for_cards().order_by("-trained_at", "-id")[: ARTIST_STYLES + 1]
    )
    images = Generation.objects.public().filter(user=artist).for_cards().order_by("-created_at", "-id")
    context = {
        "artist": artist,
        "styles": styles[:ARTIST_STYLES],
        "more_styles": len(styles) > ARTIST_STYLES,
        "images": Paginator(images, ARTIST_IMAGES_PER_PAGE).get_page(request.GET.get("page")),
    }
    return render(request, "accounts/artist.html", context)
