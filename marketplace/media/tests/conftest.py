from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.files.base import ContentFile


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


@pytest.fixture(scope="session")
def moto_endpoint():
    """A local S3 (moto_server from requirements-dev.txt) on a free port, for the whole session."""
    found = shutil.which("moto_server", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    if not found:
        pytest.skip("moto_server is not installed (make install-dev)")
    port = free_port()
    process = subprocess.Popen(
        [found, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def s3_media(settings, moto_endpoint, monkeypatch):
    """Media on a fresh bucket of the local S3, served by presigned redirect; returns a boto3 bucket."""
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    bucket_name = f"atelier-{os.urandom(4).hex()}"
    s3 = boto3.resource("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    bucket = s3.create_bucket(Bucket=bucket_name)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "marketplace.media.storage.S3MediaStorage",
            "OPTIONS": {
                "bucket_name": bucket_name, "endpoint_url": moto_endpoint, "region_name": "us-east-1",
                "file_overwrite": False, "default_acl": None, "signature_version": "s3v4",
            },
        },
    }
    settings.MEDIA_SERVE = "s3"
    return bucket


@pytest.fixture
def stored_png(png_bytes):
    def store(field_file, name: str = "picture.png", data: bytes | None = None):
        field_file.save(name, ContentFile(data or png_bytes(), name=name), save=True)
        return field_file.name

    return store
