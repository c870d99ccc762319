"""Project-wide test setup.

Under CI=true a skipped, xfailed or deselected test fails the run: CI has
every service, so nothing has a reason to be skipped there.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_embedded_worker(settings):
    # Unit tests must not start background jobs; tests that want the worker run it themselves.
    settings.EMBEDDED_WORKER = False


@pytest.fixture(autouse=True)
def _outbox_sends_inline(settings):
    # After-commit sends normally go to a background thread; a test sees them happen in its own thread.
    settings.OUTBOX_SEND_INLINE = True


@pytest.fixture(autouse=True)
def _no_anonymous_page_cache(settings):
    # Tests of a view see the view's own work (its queries, its context); the whole-page cache for anonymous
    # visitors has its own tests (marketplace/core/tests/test_pagecache.py), which switch it on.
    settings.ANON_PAGE_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def _isolated_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


_DESELECTED = 0


def pytest_deselected(items):
    global _DESELECTED
    _DESELECTED += len(items)


def pytest_sessionfinish(session, exitstatus):
    if not IN_CI:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    stats = reporter.stats if reporter else {}
    skipped = len(stats.get("skipped", [])) + len(stats.get("xfailed", []))
    deselected = _DESELECTED
    if skipped or deselected:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if reporter:
            reporter.write_line(
                f"CI=true: {skipped} skipped/xfailed and {deselected} deselected test(s); CI runs every test.",
                red=True,
            )
