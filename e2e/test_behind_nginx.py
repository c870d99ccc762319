"""Atelier as it runs for real: Debian's nginx with deploy/nginx/atelier.conf in front of gunicorn with
production settings (DEBUG off), on a PostgreSQL database of its own, media sent by nginx via X-Accel-Redirect.

The stack is started once for the module: a fresh database (migrated), collectstatic into a temporary
STATIC_ROOT, a seeded artist, buyer and stranger with a public and a private image, gunicorn on a free port
with the embedded reference worker (so a generation completes through nginx), and nginx on another free port
with a copy of the repository's config whose upstream, port and paths are this test's.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import requests
from django.conf import settings
from playwright.sync_api import Page, expect

ROOT = Path(settings.BASE_DIR)
CONFIG = ROOT / "deploy/nginx/atelier.conf"
PASSWORD = "a-long-secret-42"
WORKER_TOKEN = "worker-token-behind-nginx"

SEED = textwrap.dedent("""
    from django.core.files.base import ContentFile
    from marketplace.accounts.models import User
    from marketplace.core.testing import imagefiles
    from marketplace.generations.models import Generation
    from marketplace.ledger.services import ledger_credit
    from marketplace.styles.models import Style
    from worker.signature import dump_signature, learn_signature

    artist = User.objects.create_user(username="lena", email="lena@example.com", password="{password}", role="artist")
    buyer = User.objects.create_user(username="sam", email="sam@example.com", password="{password}")
    User.objects.create_user(username="eve", email="eve@example.com", password="{password}")
    ledger_credit(user_id=buyer.pk, amount=50, kind="welcome", reason="hi", idempotency_key="w")
    style = Style.objects.create(
        artist=artist, name="Teal Study", slug="teal-study", price_per_generation=3,
        commercial_use=True, credit_required=False, training_status="completed",
    )
    style.model_path.save(
        f"style-{{style.pk}}.json",
        ContentFile(dump_signature(learn_signature([imagefiles.png(colour=(20, 140, 150))]))),
    )
    print("model", style.pk, style.model_path.name)
    for visibility, colour in (("public", (200, 40, 40)), ("private", (40, 40, 200))):
        generation = Generation.objects.create(
            user=buyer, style=style, prompt=visibility, aspect_ratio="1:1", seed=1, cost=3,
            status="completed", visibility=visibility,
        )
        generation.image.save(f"{{generation.pk}}-{{visibility}}.png", ContentFile(imagefiles.png(colour=colour)))
        print(visibility, style.pk, generation.image.name)
""").format(password=PASSWORD)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


def nginx_binary() -> str:
    found = shutil.which("nginx", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"]))
    if not found:
        pytest.skip("nginx is not installed (apt-get install nginx; .ci/run installs it)")
    return found


def nginx_config(*, port: int, upstream: int, static: Path, media: Path, run: Path) -> str:
    """The repository's config with this test's port, upstream and directories: every substitution must hit."""
    text = CONFIG.read_text()
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")  # nginx's defaults need root
    temp = "\n".join(f"    {kind}_temp_path {run / kind};" for kind in kinds)
    substitutions = [
        ("pid /tmp/atelier-nginx.pid;", f"pid {run / 'nginx.pid'};"),
        ("server web:8000;", f"server 127.0.0.1:{upstream};"),
        ("listen 80;", f"listen 127.0.0.1:{port};"),
        ("alias /srv/atelier/static/$static_path;", f"alias {static}/$static_path;"),
        ("alias /srv/atelier/static/;", f"alias {static}/;"),
        ("alias /srv/atelier/media/;", f"alias {media}/;"),
        ("http {\n", "http {\n" + temp + "\n"),
    ]
    for old, new in substitutions:
        assert text.count(old) == 1, f"deploy/nginx/atelier.conf no longer has {old!r}"
        text = text.replace(old, new)
    if os.geteuid() == 0:  # the workers must read pytest's 0700 directories
        text = "user root;\n" + text
    return text


def database_url(name: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    nginx = nginx_binary()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")
    base = tmp_path_factory.mktemp("behind-nginx")
    static, media, run = base / "static", base / "media", base / "run"
    for directory in (static, media, run):
        directory.mkdir()
    port, upstream = free_port(), free_port()
    site = f"http://localhost:{port}"
    db_name = f"atelier_nginx_{uuid.uuid4().hex[:8]}"
    admin_url = database_url("postgres")
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{db_name}"')
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "REDIS_URL", "AMQP_URL"}},
        "DEBUG": "false", "SECRET_KEY": "behind-nginx-" + uuid.uuid4().hex * 2, "ALLOWED_HOSTS": "localhost",
        "SITE_URL": site, "CSRF_TRUSTED_ORIGINS": site, "DATABASE_URL": database_url(db_name),
        "INTERNAL_API_TOKEN": WORKER_TOKEN, "SECURE_SSL_REDIRECT": "false", "MEDIA_SERVE": "accel",
        "MEDIA_ROOT": str(media), "STATIC_ROOT": str(static), "VAR_DIR": str(base / "var"),
        "EMBEDDED_WORKER": "true", "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "4",
        "GUNICORN_BIND": f"127.0.0.1:{upstream}", "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    processes: list[subprocess.Popen] = []

    def manage(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    try:
        manage("migrate", "--noinput")
        manage("collectstatic", "--noinput")
        names = dict(line.split(" ", 1) for line in manage("shell", "-c", SEED).splitlines() if " " in line)
        style_pk, public = names["public"].split()
        _, private = names["private"].split()
        _, model = names["model"].split()
        logs = open(base / "gunicorn.log", "w")  # noqa: SIM115  (closed with the stack)
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "config.wsgi"],
            cwd=ROOT, env=env, stdout=logs, stderr=subprocess.STDOUT,
        ))
        wait_for_port(upstream, processes[-1])
        conf = run / "nginx.conf"
        conf.write_text(nginx_config(port=port, upstream=upstream, static=static, media=media, run=run))
        checked = subprocess.run([nginx, "-t", "-c", str(conf), "-p", str(run)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        processes.append(subprocess.Popen(
            [nginx, "-c", str(conf), "-p", str(run), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=open(base / "nginx.log", "w"),  # noqa: SIM115
        ))
        wait_for_port(port, processes[-1])
        yield {"site": site, "port": port, "public": public, "private": private, "style": style_pk,
               "model": model, "static": static}
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


@pytest.fixture
def https_page(page: Page) -> Page:
    # As a TLS load balancer in front of nginx would say: Django's Secure cookies and HSTS then behave as in
    # production, and nginx passes the header on (its map keeps a proxy's X-Forwarded-Proto).
    page.set_extra_http_headers({"X-Forwarded-Proto": "https"})
    page.set_default_timeout(15_000)
    return page


def log_in(page: Page, site: str, email: str) -> None:
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("token-balance")).to_be_visible()


def test_a_buyer_generates_and_sees_the_image_sent_by_nginx(stack, https_page: Page):
    page, site = https_page, stack["site"]
    log_in(page, site, "sam@example.com")
    page.goto(f"{site}/generate/?style={stack['style']}")
    page.get_by_label("Prompt tags").fill("lighthouse, dusk")
    page.get_by_role("button", name="Generate").click()
    card = page.locator(".job-card").first
    expect(card.get_by_test_id("job-status")).to_have_text("Completed", timeout=90_000)
    image = card.locator("img")
    src = image.get_attribute("src")
    assert src.startswith("/media/generations/")
    with page.expect_response(lambda r: r.url.endswith(src)) as caught:
        page.goto(site + src)
    response = caught.value
    assert response.status == 200
    assert response.headers["server"] == "nginx"
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    # Under MEDIA_SERVE=accel Django's answer is empty: these bytes were read from disk by nginx, which (unlike
    # Django's FileResponse) gives a file it sends an ETag and byte ranges.
    assert "x-accel-redirect" not in response.headers
    assert response.headers["etag"] and response.headers["accept-ranges"] == "bytes"
    assert response.body().startswith(b"\x89PNG")


def test_public_image_for_anyone_private_image_404_for_a_stranger(stack, https_page: Page):
    page, site = https_page, stack["site"]
    public_png = (Path(stack["static"]).parent / "media" / stack["public"]).read_bytes()
    response = page.goto(f"{site}/media/{stack['public']}")
    assert response.status == 200 and response.headers["server"] == "nginx"
    assert response.body() == public_png
    assert page.request.get(f"{site}/media/{stack['private']}").status == 404

    log_in(page, site, "eve@example.com")
    assert page.request.get(f"{site}/media/{stack['private']}").status == 404
    page.context.clear_cookies()
    log_in(page, site, "sam@example.com")
    owner = page.request.get(f"{site}/media/{stack['private']}")
    assert owner.status == 200 and owner.body().startswith(b"\x89PNG")


def test_a_model_file_reaches_only_the_worker_through_nginx_as_a_download(stack):
    url = f"{stack['site']}/media/{stack['model']}"
    https = {"X-Forwarded-Proto": "https"}
    assert requests.get(url, headers=https, timeout=10).status_code == 404
    wrong = {**https, "Authorization": "Bearer not-the-token"}
    assert requests.get(url, headers=wrong, timeout=10).status_code == 404
    response = requests.get(url, headers={**https, "Authorization": f"Bearer {WORKER_TOKEN}"}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Server"] == "nginx"
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert b"atelier-reference-signature" in response.content


def test_static_files_have_hashed_names_and_a_year_of_cache(stack, https_page: Page):
    page, site = https_page, stack["site"]
    page.goto(f"{site}/")
    stylesheet = page.locator('link[rel="stylesheet"][href*="atelier"]').get_attribute("href")
    assert re.fullmatch(r"/static/css/atelier\.[0-9a-f]{12}\.css", stylesheet), stylesheet
    response = requests.get(site + stylesheet, headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Server"] == "nginx"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers.get("Content-Encoding") == "gzip"
    assert "Set-Cookie" not in response.headers  # never went through Django


def test_a_body_over_the_limit_is_refused_by_nginx_at_once_with_a_friendly_page(stack):
    declared = 1_100 * 1024 * 1024  # 1.1 GB announced; not one byte of it is sent
    request = (
        "POST /studio/new/ HTTP/1.1\r\nHost: localhost\r\n"
        "Content-Type: multipart/form-data; boundary=atelier\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    ).encode()
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", stack["port"]), timeout=5) as connection:
        connection.sendall(request)
        answer = b""
        while b"</html>" not in answer:
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    elapsed = time.monotonic() - started
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head
    assert b"Server: nginx" in head
    assert b"That upload is too large" in body and b"100 images" in body
    assert elapsed < 1.0, f"took {elapsed:.2f} s"
