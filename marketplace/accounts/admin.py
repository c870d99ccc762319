from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from marketplace.accounts.models import AccountEvent, User
from marketplace.core.exceptions import ServiceError
from marketplace.ledger.forms import TokenAdjustmentForm
from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.services import ledger_adjust


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (gettext_lazy("Profile"), {"fields": ("display_name", "avatar", "bio", "role")}),
        (gettext_lazy("Tokens"), {"fields": ("token_balance", "ledger_link")}),
    )
    readonly_fields = ("token_balance", "ledger_link")
    list_display = ("username", "email", "display_name", "role", "token_balance", "is_staff", "date_joined")
    list_filter = ("role", *DjangoUserAdmin.list_filter)
    search_fields = (*DjangoUserAdmin.search_fields, "display_name")
    date_hierarchy = "date_joined"
    actions = ("adjust_token_balance",)

    @admin.display(description=gettext_lazy("Ledger"))
    def ledger_link(self, obj: User) -> str:
        url = reverse("admin:ledger_ledgerentry_changelist") + "?" + urlencode({"user__id__exact": obj.pk})
        return format_html('<a href="{}">{}</a>', url, _("Token movements"))

    @admin.action(description=gettext_lazy("Adjust token balance…"), permissions=["change"])
    def adjust_token_balance(self, request, queryset):
        # Django's pattern for an action with an intermediate page: the first
        # POST (from the changelist) renders the form; the form re-posts the
        # action and the selected ids, plus "apply".
        form = TokenAdjustmentForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._apply_adjustment(request, list(queryset), **form.cleaned_data)
            return None
        return TemplateResponse(
            request,
            "admin/accounts/user/adjust_token_balance.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Adjust token balance"),
                "opts": self.opts,
                "form": form,
                "users": queryset.order_by("username"),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def _apply_adjustment(self, request, users: list[User], *, amount: int, reason: str, submission) -> None:
        keys = {user.pk: f"adjust:{submission}:{user.pk}" for user in users}
        # Only to word the message: the idempotency key is what keeps a re-post from applying twice.
        done_before = set(
            LedgerEntry.objects.filter(idempotency_key__in=keys.values()).values_list("user_id", flat=True)
        )
        applied = repeated = 0
        for user in users:
            try:
                ledger_adjust(
                    user_id=user.pk, amount=amount, reason=reason, staff_user=request.user,
                    idempotency_key=keys[user.pk],
                )
            except ServiceError as error:
                self.message_user(
                    request,
                    _("Not adjusted for %(user)s: %(error)s") % {"user": user.username, "error": error.message},
                    messages.ERROR,
                )
                continue
            if user.pk in done_before:
                repeated += 1
            else:
                applied += 1
        if repeated:
            self.message_user(
                request,
                ngettext(
                    "This form was already applied to %(count)d user; it was not applied again.",
                    "This form was already applied to %(count)d users; it was not applied again.",
                    repeated,
                ) % {"count": repeated},
                messages.WARNING,
            )
        if applied:
            self.message_user(
                request,
                ngettext(
                    "Adjusted the token balance of %(count)d user by %(amount)+d.",
                    "Adjusted the token balances of %(count)d users by %(amount)+d.",
                    applied,
                ) % {"count": applied, "amount": amount},
                messages.SUCCESS,
            )


@admin.register(AccountEvent)
class AccountEventAdmin(admin.ModelAdmin):
    """The audit trail is read-only (rows come from accounts.services); deleting a user removes theirs."""

    list_display = ("created_at", "user", "kind", "detail", "ip_address")
    list_filter = ("kind",)
    search_fields = ("user__username", "user__email", "ip_address", "detail")
    date_hierarchy = "created_at"
    list_select_related = ("user",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
