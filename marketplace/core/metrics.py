"""Prometheus metrics at GET /metrics.

Two kinds: request metrics observed as requests pass (a histogram by view), and gauges read
from the database at scrape time, which the apps above core register from AppConfig.ready
(register_gauge), so core imports no app and every process reports the same totals.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import Http404, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger(__name__)

REQUEST_LATENCY = Histogram(
    "atelier_request_duration_seconds", "Time to answer a request, by view and method.",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10, 30),
)
WORKER_REPORT_LATENCY = Histogram(
    "atelier_worker_report_duration_seconds", "Time to handle a worker's status report or upload, by job kind.",
    ["kind", "outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

# A gauge reader returns rows of (label values, value).
GaugeRows = Iterable[tuple[tuple[str, ...], float]]
_GAUGES: dict[str, tuple[str, tuple[str, ...], list[Callable[[], GaugeRows]]]] = {}


def register_gauge(name: str, documentation: str, labels: tuple[str, ...], read: Callable[[], GaugeRows]) -> None:
    """An app adds rows to a gauge computed from its tables at scrape time (jobs: outbox backlog;
    generations and styles: their jobs by status). Several apps may feed one gauge."""
    _documentation, _labels, readers = _GAUGES.setdefault(name, (documentation, labels, []))
    if read not in readers:
        readers.append(read)


class DatabaseGauges:
    """The registered gauges as a Prometheus collector; a failing reader is logged and left out."""

    def collect(self):
        for name, (documentation, labels, readers) in _GAUGES.items():
            rows = []
            for read in readers:
                try:
                    rows += list(read())
                except Exception:  # one broken reader must not hide the others
                    logger.exception("metric %s could not be read", name)
            family = GaugeMetricFamily(name, documentation, labels=list(labels))
            for values, value in rows:
                family.add_metric([str(v) for v in values], float(value))
            yield family


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # request histograms summed over every gunicorn worker
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    return registry


_DATABASE_GAUGES = DatabaseGauges()


def metrics_view(request):
    """The scrape endpoint: Bearer METRICS_TOKEN, or open under DEBUG when no token is set."""
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return HttpResponse("A valid metrics token is needed.\n", status=401, content_type="text/plain")
    elif not settings.DEBUG:
        raise Http404
    registry = _registry()
    body = generate_latest(registry) + _database_gauges_text()
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


def _database_gauges_text() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_DATABASE_GAUGES)
    return generate_latest(registry)


class RequestMetricsMiddleware:
    """Times every request and labels it by its URL name (never by the raw path: bounded labels)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match and match.view_name else "unmatched"
        if view != "metrics":
            REQUEST_LATENCY.labels(view=view, method=request.method, status=str(response.status_code)).observe(
                time.perf_counter() - started
            )
        return response
