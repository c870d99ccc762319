from django.utils.functional import SimpleLazyObject


def unread_notifications(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    # Lazy: pages that never show the bell (JSON, fragments) pay no query.
    return {"unread_notifications": SimpleLazyObject(lambda: user.notifications.filter(is_read=False).count())}
