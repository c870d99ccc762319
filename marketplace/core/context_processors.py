from django.conf import settings


def site(request) -> dict:
    return {
        "SITE_URL": settings.SITE_URL,
        "GOOGLE_LOGIN_ENABLED": bool(settings.GOOGLE_CLIENT_ID),
        "WELCOME_BONUS_TOKENS": settings.WELCOME_BONUS_TOKENS,
    }
