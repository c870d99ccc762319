"""The application's settings with the benchmark's urlconf, which adds a bare baseline view.

The benchmark talks plain HTTP to gunicorn on 127.0.0.1 (no TLS proxy in front), so the session and CSRF
cookies are not marked Secure: a client keeps a Secure cookie only for https, and every signed-in request
would arrive without its session. Everything else is production's (DEBUG off, HSTS, CSP).
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.web.urls"
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Every simulated person logs in from 127.0.0.1: allauth's per-IP login rate (30 a minute) would refuse most of
# them. The per-account limits on failed logins stay.
ACCOUNT_RATE_LIMITS = {**ACCOUNT_RATE_LIMITS, "login": False}  # noqa: F405
