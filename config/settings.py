"""Atelier settings, read from the environment.

Every variable has an embedded default so `make run` needs none; the README
lists them. With DEBUG off, the variables a real deployment must set are
checked at start-up and all missing ones are named in one error.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "DATABASE_URL", "INTERNAL_API_TOKEN")
if not DEBUG:
    missing = [name for name in REQUIRED_IN_PRODUCTION if not os.environ.get(name)]
    if missing:
        raise ImproperlyConfigured(
            "DEBUG is off, so these environment variables must be set: " + ", ".join(missing)
        )

SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdefghijklmnop")
# Rotating SECRET_KEY (README, "Run it for real"): the previous key stays here until sessions signed with it expire.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Workers authenticate to the webhook API with this bearer token.
INTERNAL_API_TOKEN = os.environ.get("INTERNAL_API_TOKEN", "dev-internal-token")
# --- Worker webhook signing (docs/worker-protocol.md, "Authentication") ---
# Standard Webhooks secrets, comma separated: sign with the first, accept any (rotation: "new,old").
WORKER_WEBHOOK_SECRETS = env_list("WORKER_WEBHOOK_SECRETS", "dev-webhook-secret" if DEBUG else "")
# Deprecated: the bare bearer token (INTERNAL_API_TOKEN) without signatures. On under DEBUG (make run) and
# while no signing secret is set, so existing deployments keep working; off once secrets are configured.
WORKER_ACCEPT_BEARER = env_bool("WORKER_ACCEPT_BEARER", DEBUG or not WORKER_WEBHOOK_SECRETS)
AMQP_URL = os.environ.get("AMQP_URL", "")
# Without AMQP_URL, jobs go to the reference worker in a thread of this process.
EMBEDDED_WORKER = env_bool("EMBEDDED_WORKER", True)
# After commit, outbox messages are sent by a background thread; tests send inline.
OUTBOX_SEND_INLINE = env_bool("OUTBOX_SEND_INLINE", False)
# Without a separate `run_dispatcher`, the web process re-sends due messages and runs the sweeps itself.
IN_PROCESS_DISPATCHER = env_bool("IN_PROCESS_DISPATCHER", not AMQP_URL)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tables2",
    "django_filters",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "marketplace.core",
    "marketplace.accounts",
    "marketplace.styles",
    "marketplace.generations",
    "marketplace.ledger",
    "marketplace.community",
    "marketplace.notifications",
    "marketplace.jobs",
    "marketplace.webhooks",
    "marketplace.media",
]

MIDDLEWARE = [
    "marketplace.core.requestid.RequestIdMiddleware",
    "marketplace.core.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "marketplace.core.headers.SecurityHeadersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last, so its 413 page has the user; still before CsrfViewMiddleware.process_view reads the body.
    "marketplace.media.uploadhandlers.RequestSizeLimitMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "marketplace.core.context_processors.site",
                "marketplace.notifications.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'atelier.sqlite3'}")
_db = dj_database_url.parse(DATABASE_URL)
if _db["ENGINE"] == "django.db.backends.postgresql":
    # Django's built-in psycopg 3 pool; it requires CONN_MAX_AGE = 0. max_size
    # must cover gunicorn's threads per process or requests queue for a slot.
    _db["CONN_MAX_AGE"] = 0
    _db.setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(os.environ.get("DB_POOL_MIN", "2")),
        # gunicorn.conf.py exports GUNICORN_THREADS, so each web process's pool follows its threads (+2: the
        # outbox sender and the in-process dispatcher); outside gunicorn (commands, tests) 16.
        "max_size": int(os.environ.get("DB_POOL_MAX") or int(os.environ.get("GUNICORN_THREADS") or 14) + 2),
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
    }
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _db.setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "atelier",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "atelier"}}

# --- Whole-page cache for anonymous visitors (marketplace/core/pagecache.py) ----------------------------
# The public list pages (home, catalog, style, feed, image, artist) are kept whole in the default cache for this
# many seconds for visitors who are not signed in, so a new image or like shows within that time; 0 switches it off.
ANON_PAGE_CACHE_SECONDS = int(os.environ.get("ANON_PAGE_CACHE_SECONDS", "10"))

# --- Rate limits (marketplace/core/ratelimit.py) ---------------------------
# "N/period" per scope (period: s, m, h, d, optionally with a multiple: "5/10m"), counted in the default
# cache: with REDIS_URL every gunicorn worker and machine shares the count; under the local-memory default
# each process counts on its own. Numbers a person using the site never reaches; "" switches a scope off.
# Sign-up, login and password reset are allauth's (ACCOUNT_RATE_LIMITS).
RATE_LIMITS = {
    "generate": "30/m",  # per user: submitting the generate form
    "upload": "10/h",  # per user: training-set uploads
    "profile": "30/h",  # per user: profile edits and becoming an artist (each may carry an avatar)
    "comment": "10/m",  # per user
    "social": "60/m",  # per user: likes and follows together
    "purchase": "10/m",  # per user: buying token packs
    "worker": "600/m",  # per job token (or bearer token) on the worker API
}
# Each can be changed without a release: RATE_LIMIT_GENERATE=60/m, or RATE_LIMIT_GENERATE= to switch it off.
RATE_LIMITS |= {scope: os.environ[f"RATE_LIMIT_{scope.upper()}"] for scope in RATE_LIMITS
                if f"RATE_LIMIT_{scope.upper()}" in os.environ}

# --- Auth -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# argon2id first (marketplace/accounts/hashers.py: OWASP's parameters, ~1/10 of PBKDF2's CPU per login); PBKDF2,
# Django's default until now, stays so that existing hashes still verify: each is rehashed at its next login.
PASSWORD_HASHERS = [
    "marketplace.accounts.hashers.OWASPArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_USER_DISPLAY = "marketplace.accounts.models.user_display"
ACCOUNT_ADAPTER = "marketplace.accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "marketplace.accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
GOOGLE_CLIENT_ID = os.environ.get("GOOGLE_CLIENT_ID", "")
GOOGLE_CLIENT_SECRET = os.environ.get("GOOGLE_CLIENT_SECRET", "")
SOCIALACCOUNT_PROVIDERS = {
    "google": {
        "SCOPE": ["profile", "email"],
        "AUTH_PARAMS": {"access_type": "online"},
        "EMAIL_AUTHENTICATION": True,
        "APPS": (
            [{"client_id": GOOGLE_CLIENT_ID, "secret": GOOGLE_CLIENT_SECRET, "key": ""}]
            if GOOGLE_CLIENT_ID
            else []
        ),
    }
}
WELCOME_BONUS_TOKENS = 100  # granted once the email address is verified (accounts.signals)

# --- Account abuse limits (allauth's rate limits, in the cache: shared across processes on Redis) ---------
# "login_failed" is keyed per client IP + email by AccountAdapter, so wrong passwords from one address never
# refuse the owner elsewhere; the two windows back off (5 in 5 minutes, then 10 in an hour) and the per-IP
# rate slows one address guessing many accounts. The other keys ("key") are the email address.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/5m/key,10/h/key,30/h/ip",
    "signup": "5/h/ip,20/d/ip",
    "reset_password": "5/h/ip,3/h/key",
    "reset_password_from_key": "10/h/ip",
    "confirm_email": "1/3m/key,10/h/ip",
    "change_password": "5/m/user",
    "manage_email": "10/h/user",
}
# Proxies in front of Django that append to X-Forwarded-For: 0 for the embedded server (the header is then
# ignored), 1 behind nginx or an ingress. Wrong in either direction, every client shares one limit or can
# pick its own IP.
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("ALLAUTH_TRUSTED_PROXY_COUNT", "0"))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 1209600  # two weeks
# A signed-in page reads its session from the cache (Redis when REDIS_URL is set) and writes through to the
# database, which stays the record: a lost cache logs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Development prints mail to the console; production sends through SMTP.
EMAIL_BACKEND_NAME = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
_mailer: dict = {"BACKEND": EMAIL_BACKEND_NAME}
if EMAIL_BACKEND_NAME.endswith("smtp.EmailBackend"):
    _mailer["OPTIONS"] = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("EMAIL_PORT", "587")),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", True),
        "timeout": 10,
    }
MAILERS = {"default": _mailer}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Atelier <noreply@atelier.local>")

# --- I18N -----------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploads: training sets are up to 100 files of 10 MB; larger bodies spill to disk.
DATA_UPLOAD_MAX_NUMBER_FILES = 120
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Upload size limits (marketplace/media/uploadhandlers.py) --------------------------------------------
# The whole request: 100 images of 10 MB (core/images.py MAX_BYTES, styles/services.py MAX_TRAINING_IMAGES)
# plus 10 MB for multipart overhead and the form's fields; the same as nginx's client_max_body_size 1010m
# (deploy/nginx/atelier.conf; marketplace/media/tests/test_uploadhandlers.py keeps the three in step). Refused
# from Content-Length with a 413 page before the body is read. One file: stopped while streaming past 10 MB.
UPLOAD_MAX_REQUEST_BYTES = 1010 * 1024 * 1024
UPLOAD_MAX_FILE_BYTES = 10 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "marketplace.media.uploadhandlers.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Media: where files live and how /media/ sends them (marketplace/media) ------------------------------
# Local disk under MEDIA_ROOT by default; S3 (django-storages) once a bucket or an S3 endpoint is set, so web
# servers and workers on different machines share files. Either way {{ file.url }} is /media/<name>, the
# authorising view; MEDIA_SERVE says how that view hands over the bytes it allows:
#   stream  this process streams them (the default: make run, or gunicorn with nobody in front)
#   accel   X-Accel-Redirect to nginx's internal /protected-media/ (deploy/nginx/atelier.conf; local disk)
#   s3      a redirect to a presigned URL valid MEDIA_PRESIGN_SECONDS (the endpoint must be reachable by browsers)
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
AWS_S3_ENDPOINT_URL = os.environ.get("AWS_S3_ENDPOINT_URL", "")
MEDIA_ON_S3 = bool(AWS_STORAGE_BUCKET_NAME or AWS_S3_ENDPOINT_URL)
if MEDIA_ON_S3:
    # Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the instance's role), read by boto3.
    STORAGES["default"] = {
        "BACKEND": "marketplace.media.storage.S3MediaStorage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME or "atelier-media",
            "endpoint_url": AWS_S3_ENDPOINT_URL or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": True,
            "signature_version": "s3v4",  # presigned URLs carry X-Amz-Expires, honoured by every S3 clone
        },
    }
MEDIA_SERVE = os.environ.get("MEDIA_SERVE", "stream")
if MEDIA_SERVE not in {"stream", "accel", "s3"} or (MEDIA_SERVE == "s3" and not MEDIA_ON_S3):
    raise ImproperlyConfigured(
        f"MEDIA_SERVE={MEDIA_SERVE!r}: use stream, accel (nginx, local disk) or s3 (with AWS_STORAGE_BUCKET_NAME)"
    )
MEDIA_ACCEL_PREFIX = "/protected-media/"
MEDIA_PRESIGN_SECONDS = 60

# --- Marketplace rules ----------------------------------------------------
ARTIST_SHARE_PERCENT = int(os.environ.get("ARTIST_SHARE_PERCENT", "70"))
TRAINING_EPOCHS = int(os.environ.get("TRAINING_EPOCHS", "10"))
TRAINING_TIMEOUT_MINUTES = int(os.environ.get("TRAINING_TIMEOUT_MINUTES", "60"))
GENERATION_TIMEOUT_MINUTES = int(os.environ.get("GENERATION_TIMEOUT_MINUTES", "15"))
PAYMENT_PROVIDER = os.environ.get("PAYMENT_PROVIDER", "marketplace.ledger.payments.DemoPaymentProvider")
# The provider signs POST /api/payments/<provider>/webhook with this (HMAC-SHA256 over the raw body).
# No default with DEBUG off: every webhook is refused until the provider's real secret is set.
PAYMENT_WEBHOOK_SECRET = os.environ.get("PAYMENT_WEBHOOK_SECRET", "dev-payment-webhook-secret" if DEBUG else "")

# --- Security -------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", SITE_URL)
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Content-Security-Policy (django.middleware.csp; README, "Security headers") -------------------------
# Every script and stylesheet is a vendored static file: no inline <script>, <style>, style="" or on*=""
# anywhere (core/tests/test_headers.py greps templates/ for them), and htmx runs with allowEval off
# (its htmx-config in base.html), so no 'unsafe-inline' and no 'unsafe-eval'. data: images are Pico's SVG icons;
# blob: ones are the upload page's previews of the files an artist has chosen (upload.js, never fetched).
# With MEDIA_SERVE=s3 the /media/ view redirects images to the bucket, so its origin may serve images; the
# Google button posts here and is redirected to Google, which form-action must allow (Chrome checks redirects).
_csp_img = [CSP.SELF, "data:", "blob:"]
if MEDIA_SERVE == "s3":
    # Presigned URLs name the bucket in the path or in the host (boto3's choice), so both are listed.
    _bucket = STORAGES["default"]["OPTIONS"]["bucket_name"]
    if AWS_S3_ENDPOINT_URL:
        _endpoint = urlsplit(AWS_S3_ENDPOINT_URL)
        _csp_img += [f"{_endpoint.scheme}://{_endpoint.netloc}", f"{_endpoint.scheme}://{_bucket}.{_endpoint.netloc}"]
    else:
        _csp_img.append(f"https://{_bucket}.s3.amazonaws.com")
        if os.environ.get("AWS_S3_REGION_NAME"):
            _csp_img.append(f"https://{_bucket}.s3.{os.environ['AWS_S3_REGION_NAME']}.amazonaws.com")
CONTENT_SECURITY_POLICY = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": _csp_img,
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF, *(["https://accounts.google.com"] if GOOGLE_CLIENT_ID else [])],
}
# Enforced in production; under DEBUG only reported (the browser's console), as Django's debug pages are inline.
SECURE_CSP = {} if DEBUG else CONTENT_SECURITY_POLICY
SECURE_CSP_REPORT_ONLY = CONTENT_SECURITY_POLICY if DEBUG else {}

# --- Logs: readable lines in development, one JSON object per line in production (LOG_FORMAT) ---------
# Every line carries the request id (core.requestid), which also travels in job messages to the worker.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "marketplace.core.requestid.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["asctime", "levelname", "name", "request_id", "message"],
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler", "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # pika logs every failed connect at ERROR; our publisher logs one line per attempt instead.
        "pika": {"level": "CRITICAL"},
    },
}

# --- Metrics: GET /metrics in Prometheus' text format, for a scraper holding METRICS_TOKEN -------------
# Without a token the endpoint answers only under DEBUG (make run). With several gunicorn workers,
# set PROMETHEUS_MULTIPROC_DIR to a shared empty directory so request metrics add up across processes.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# How often an open page asks for the unread count (a gentle poll; own actions update the bell at once).
NOTIFICATION_POLL_SECONDS = int(os.environ.get("NOTIFICATION_POLL_SECONDS", "30"))

DJANGO_TABLES2_TEMPLATE = "django_tables2/semantic.html"
