"""The application's settings with the benchmark's urlconf, which adds a bare baseline view."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.web.urls"
