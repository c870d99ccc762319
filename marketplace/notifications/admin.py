from django.contrib import admin

from marketplace.notifications.models import Notification, NotificationEvent, NotificationSetting


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "kind", "message", "actor_count", "is_read", "actor", "created_at")
    list_filter = ("kind", "is_read", "created_at")
    search_fields = ("recipient__username", "recipient__email", "message")
    date_hierarchy = "created_at"
    list_select_related = ("recipient", "actor")
    autocomplete_fields = ("recipient", "actor")
    readonly_fields = ("actor_count", "subject", "group_key")


@admin.register(NotificationSetting)
class NotificationSettingAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "in_app", "email")
    list_filter = ("kind", "in_app", "email")
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)


@admin.register(NotificationEvent)
class NotificationEventAdmin(admin.ModelAdmin):
    """A read-only record of what has been announced (the exactly-once keys)."""

    list_display = ("key", "notification", "created_at")
    search_fields = ("key",)
    list_select_related = ("notification__recipient",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
