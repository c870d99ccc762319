from django.contrib import admin

from marketplace.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "kind", "message", "is_read", "actor", "created_at")
    list_filter = ("kind", "is_read", "created_at")
    search_fields = ("recipient__username", "recipient__email", "message")
    date_hierarchy = "created_at"
    list_select_related = ("recipient", "actor")
    autocomplete_fields = ("recipient", "actor")
