"""Django for a benchmark script: production-like (DEBUG off, no embedded worker or dispatcher in the process)."""

from __future__ import annotations

import os


def setup_django(**environ: str) -> None:
    """Set up Django with settings.DEBUG off (no per-query debug log in timed work); `environ` is set first."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["EMBEDDED_WORKER"] = "false"
    os.environ["IN_PROCESS_DISPATCHER"] = "false"
    os.environ.update(environ)
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
