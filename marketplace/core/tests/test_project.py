"""The project's own health: checks, migrations, production settings."""

import io
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "x9$k2!prod-like-secret-for-the-deploy-check-7a1f4c8e2b6d0f3a5c7e9b1d",
    "ALLOWED_HOSTS": "atelier.example.com",
    "SITE_URL": "https://atelier.example.com",
    "DATABASE_URL": "postgres://atelier@127.0.0.1:5432/atelier",
    "INTERNAL_API_TOKEN": "worker-token-from-the-environment",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {
        k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env={**base, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db
def test_system_checks_pass():
    call_command("check", fail_level="WARNING", stdout=io.StringIO())


@pytest.mark.django_db
def test_no_missing_migrations():
    call_command("makemigrations", check=True, dry_run=True, stdout=io.StringIO())


def test_check_deploy_clean_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_start_names_every_missing_variable():
    result = manage("check", env={"DEBUG": "false"})
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "DATABASE_URL", "INTERNAL_API_TOKEN"):
        assert name in message
