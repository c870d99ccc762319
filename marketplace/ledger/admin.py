from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace.core.admin import ReadOnlyModelAdmin
from marketplace.ledger.models import LedgerEntry, Payment


@admin.register(Payment)
class PaymentAdmin(ReadOnlyModelAdmin):
    list_display = (
        "id", "user", "pack", "tokens", "price", "status", "provider", "provider_reference", "created_at", "settled_at",
    )
    list_filter = ("status", "provider", "pack", "created_at")
    search_fields = ("user__username", "user__email", "provider_reference", "idempotency_key")
    date_hierarchy = "created_at"
    list_select_related = ("user",)

    @admin.display(description=gettext_lazy("price"), ordering="amount_cents")
    def price(self, obj: Payment) -> str:
        return f"{obj.amount_cents / 100:.2f} {obj.currency}"


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "user", "kind", "amount", "balance_after", "reason", "refs", "created_by")
    list_filter = ("kind", "created_at")
    search_fields = ("user__username", "user__email", "idempotency_key")
    date_hierarchy = "created_at"
    list_select_related = ("user", "created_by")

    @admin.display(description=gettext_lazy("refs"))
    def refs(self, obj: LedgerEntry) -> str:
        # Ids only: naming the related rows would cost a query per row.
        parts = [
            label % {"id": pk}
            for label, pk in (
                (_("generation #%(id)s"), obj.generation_id),
                (_("payment #%(id)s"), obj.payment_id),
                (_("refund of #%(id)s"), obj.refund_of_id),
            )
            if pk is not None
        ]
        return ", ".join(parts) or "–"
