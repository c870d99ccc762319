# syntax=docker/dockerfile:1
# Atelier: one image for the web (gunicorn), the dispatcher and the reference worker.
#   docker build -t atelier .
#   docker run --env-file .env -p 8000:8000 atelier                      # web
#   docker run --env-file .env atelier python manage.py run_dispatcher   # dispatcher
#   docker run --env-file .env atelier python -m worker                  # reference worker
# No secret is baked in: every setting comes from the environment at run time (.env.example lists them).

ARG PYTHON_IMAGE=python:3.13-slim

# --- builder: resolve and install the pinned dependencies into a venv ---------------------------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
# Only the requirements first: this layer is rebuilt when they change, not on every code change. Every runtime
# dependency ships a manylinux wheel (psycopg[binary], Pillow), so the slim image needs no compiler.
COPY requirements.txt /tmp/requirements.txt
RUN --mount=type=cache,target=/root/.cache/pip \
    /opt/venv/bin/pip install --require-virtualenv -r /tmp/requirements.txt

# --- final: the venv and the code, run as a user that owns nothing but its scratch space ---------------------
FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DEBUG=false \
    STATIC_ROOT=/app/staticfiles \
    VAR_DIR=/var/lib/atelier \
    PORT=8000 \
    DJANGO_SETTINGS_MODULE=config.settings
RUN groupadd --system --gid 10001 atelier \
 && useradd --system --uid 10001 --gid atelier --home-dir /app --no-create-home --shell /usr/sbin/nologin atelier \
 && mkdir -p /var/lib/atelier/media /srv/atelier/static \
 && chown -R atelier:atelier /var/lib/atelier /srv/atelier
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY . /app

# Static files with hashed, compressed names (whitenoise's CompressedManifestStaticFilesStorage, chosen when
# DEBUG is off). DEBUG=false makes settings demand the production variables, so this one command gets
# throwaway values that live only in this RUN: none of them reaches the image's environment.
RUN SECRET_KEY=build-only-not-a-secret \
    ALLOWED_HOSTS=build.invalid \
    SITE_URL=http://build.invalid \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    INTERNAL_API_TOKEN=build-only-not-a-secret \
    VAR_DIR=/tmp/build-var \
    python manage.py collectstatic --noinput --verbosity 0 \
 && rm -rf /tmp/build-var /tmp/build.sqlite3

# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd (hadolint DL3066).
USER 10001:10001
EXPOSE 8000

# Liveness only (/api/health answers while the process does); readiness (/api/ready) is for the orchestrator.
# config/probe.py: http.client (slim has no curl), a Host that Django accepts, redirects not followed.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "config.probe", "/api/health"]

CMD ["gunicorn", "-c", "gunicorn.conf.py", "config.wsgi"]
