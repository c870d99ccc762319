from functools import cache

from django.conf import settings


def unread_notifications(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    poll = settings.NOTIFICATION_POLL_SECONDS

    # A memoised callable rather than a SimpleLazyObject: templates call it,
    # so pages that never show the bell pay no query, pages that do pay one,
    # and {% blocktranslate count %} gets a real int (a lazy proxy breaks
    # plural rules that use arithmetic, such as Polish n % 10).
    @cache
    def count() -> int:
        return user.notifications.filter(is_read=False).count()

    return {"unread_notifications": count, "notification_poll_seconds": poll}
