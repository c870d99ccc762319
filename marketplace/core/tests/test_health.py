import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.test import override_settings

CLOSED_PORT = 9  # discard: nothing listens there


@pytest.mark.django_db
def test_ready_ok_names_every_dependency(client):
    response = client.get("/api/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "connected"
    assert body["cache"] == "connected"
    assert body["broker"] == ("connected" if django_settings.AMQP_URL else "embedded")


def test_health_is_liveness_and_touches_no_dependency(client):
    # No django_db mark: a single query would raise here.
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert client.head("/api/health").status_code == 200  # probes may use HEAD
    assert client.post("/api/health").status_code == 405


@pytest.mark.django_db
def test_ready_503_when_broker_down(client, settings):
    settings.AMQP_URL = f"amqp://guest:guest@127.0.0.1:{CLOSED_PORT}/"
    response = client.get("/api/ready")
    assert client.get("/api/health").status_code == 200  # down broker: not ready, but alive (no restart)
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]
    assert response.json()["broker"] == "unavailable"


@pytest.mark.django_db
def test_ready_503_when_cache_down(client):
    dead_redis = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{CLOSED_PORT}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    with override_settings(CACHES=dead_redis):
        response = client.get("/api/ready")
        liveness = client.get("/api/health")
    assert response.status_code == 503
    assert response.json()["failing"] == ["cache"]
    assert liveness.status_code == 200


def test_ready_503_when_database_unreachable(tmp_path):
    """A real process whose PostgreSQL is unreachable is not ready (503 naming the database), yet alive."""
    script = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/api/ready');"
        "alive = Client().get('/api/health').status_code;"
        "print(json.dumps({'status_code': r.status_code, 'alive': alive, **json.loads(r.content)}))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{CLOSED_PORT}/atelier",
        "DB_POOL_TIMEOUT": "1",
        "VAR_DIR": str(tmp_path),
        "LOG_LEVEL": "CRITICAL",
    }
    env.pop("AMQP_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60,
        cwd=django_settings.BASE_DIR,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    body = json.loads(result.stdout.strip().splitlines()[-1])
    assert body["status_code"] == 503
    assert body["failing"] == ["database"]
    assert body["database"] == "unavailable"
    assert body["alive"] == 200
