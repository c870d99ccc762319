"""Playwright journeys in Debian's Chromium against pytest-django's live_server."""

from __future__ import annotations

import os
import shutil

import pytest

from marketplace.core.testing import rabbitmq, reference_worker  # noqa: F401  (shared fixtures)

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM_PATH):
        pytest.skip("Chromium not found: apt-get install chromium (CI installs it)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM_PATH, "args": CHROMIUM_ARGS}


@pytest.fixture
def site(live_server, page):
    """The live server's base URL, with a page whose default timeout suits a 2-core machine."""
    page.set_default_timeout(10_000)
    return live_server.url

