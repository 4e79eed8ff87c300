"""The Celery worker's metrics: each task's runtime, retries and failures, served by the worker
itself on `WORKER_METRICS_PORT` (prometheus_client's HTTP server, started when the worker is
ready; 0 = none).

The prefork pool runs tasks in child processes: with `PROMETHEUS_MULTIPROC_DIR` set (a folder
of its own, emptied before the worker starts) the server adds up every child's counts;
without it only a `--pool=solo` or `--pool=threads` worker's counts are seen.
The web process's counters (queries, deliveries, events) count in the worker too.
"""

import logging
import time

from celery.signals import task_failure, task_postrun, task_prerun, task_retry, worker_ready
from prometheus_client import Counter, Histogram, start_http_server

logger = logging.getLogger(__name__)

TASK_RUNTIME = Histogram(
    "portal_celery_task_runtime_seconds",
    "Time a task ran, by task and final state (SUCCESS, RETRY, FAILURE).",
    ["task", "state"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
TASK_RETRIES = Counter("portal_celery_task_retries_total", "Tasks that asked to retry.", ["task"])
TASK_FAILURES = Counter("portal_celery_task_failures_total", "Tasks that raised.", ["task"])

_started: dict[str, float] = {}


@task_prerun.connect(dispatch_uid="portal-task-metrics")
def _task_started(task_id=None, **kwargs):
    _started[task_id] = time.perf_counter()


@task_postrun.connect(dispatch_uid="portal-task-metrics")
def _task_ended(task_id=None, task=None, state=None, **kwargs):
    started = _started.pop(task_id, None)
    if started is not None and task is not None:
        TASK_RUNTIME.labels(task.name, state or "UNKNOWN").observe(time.perf_counter() - started)


@task_retry.connect(dispatch_uid="portal-task-metrics")
def _task_retried(sender=None, **kwargs):
    TASK_RETRIES.labels(getattr(sender, "name", "unknown")).inc()


@task_failure.connect(dispatch_uid="portal-task-metrics")
def _task_failed(sender=None, **kwargs):
    TASK_FAILURES.labels(getattr(sender, "name", "unknown")).inc()


def start_server(port: int, addr: str = "0.0.0.0"):
    """Serve this worker's metrics (every child's with PROMETHEUS_MULTIPROC_DIR) on `port`."""
    from partner_portal.metrics import process_registry

    server, thread = start_http_server(port, addr=addr, registry=process_registry())
    logger.info("worker metrics on port %s", port)
    return server, thread


@worker_ready.connect(dispatch_uid="portal-worker-metrics")
def _serve_on_ready(**kwargs):
    from django.conf import settings

    if settings.WORKER_METRICS_PORT:
        start_server(settings.WORKER_METRICS_PORT)
