"""gunicorn settings for Atelier: `gunicorn -c gunicorn.conf.py config.wsgi`.

Every number can be overridden from the environment (WEB_CONCURRENCY, GUNICORN_THREADS, GUNICORN_TIMEOUT,
GUNICORN_BIND or PORT); the defaults follow the CPUs this process may really use.
"""

from __future__ import annotations

import math
import os
from pathlib import Path


def usable_cpus(cgroup_cpu_max: Path = Path("/sys/fs/cgroup/cpu.max")) -> int:
    """CPUs this process may use: its affinity mask, lowered by a cgroup v2 quota (a container's CPU limit).

    os.cpu_count() reports the host's CPUs, so a pod limited to 1 CPU on a 64-core node would start 129 workers.
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota, period = cgroup_cpu_max.read_text().split()[:2]
        if quota != "max":
            cpus = min(cpus, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError):
        pass  # no cgroup v2 limit visible (bare metal, or cgroup v1): the affinity mask is the answer
    return max(1, cpus)


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


CPUS = usable_cpus()

# The seed's starting point is workers = 2 x cores + 1, a rule for *sync* workers, where a process waiting on
# PostgreSQL serves nobody. With gthread each process has threads for those waits, and Atelier's pages are
# CPU-bound (docs/performance.md: 2 workers x 4 threads kept ~1.9 of 2 cores busy), so processes beyond the
# cores add memory (~100 MB each) and pooled database connections, not throughput. We choose cores + 1
# processes (the spare covers one busy with a slow upload or a GC pause) x 4 threads each.
worker_class = "gthread"
workers = env_int("WEB_CONCURRENCY", CPUS + 1)
threads = env_int("GUNICORN_THREADS", 4)

# settings.py sizes each process's database pool from GUNICORN_THREADS (threads + 2: the after-commit outbox
# sender and the in-process dispatcher take one each), so a request never waits for a connection.
os.environ["GUNICORN_THREADS"] = str(threads)

bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{env_int('PORT', 8000)}"
# The seed's 120 s: checking a full training set (100 images, up to 1 GB, with Pillow) takes a while. nginx reads
# the upload in full before passing it on, so the clock runs on that work, not on the client's link.
timeout = env_int("GUNICORN_TIMEOUT", 120)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5  # behind nginx's upstream keepalive
# A worker is restarted after this many requests (with jitter, so they do not all restart together).
max_requests = env_int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
# gunicorn >= 25 opens a control socket under $HOME/.gunicorn: the image's user has no writable home (and
# Kubernetes mounts the root read-only); signals (HUP, TTIN/TTOU) do the same job.
control_socket_disable = True
# Behind nginx or a Kubernetes ingress, which set X-Forwarded-*; the network keeps anyone else out.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")

# Access log to stdout, error log to stderr (the container runtime collects both). The request id is the
# X-Request-ID the app sends back (core.requestid): the proxy's id when it sent a well-formed one, else a new
# one, and the same id the app's own log lines and the job messages carry.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s "%(a)s"'

# Metrics from every worker process add up when PROMETHEUS_MULTIPROC_DIR is set (core.metrics): the directory
# starts empty on each start, and a dead worker's live gauges are dropped.
PROMETHEUS_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def on_starting(server) -> None:
    if PROMETHEUS_MULTIPROC_DIR:
        directory = Path(PROMETHEUS_MULTIPROC_DIR)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()


def child_exit(server, worker) -> None:
    if PROMETHEUS_MULTIPROC_DIR:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
