"""gunicorn's settings for the portal (read from the working folder: `gunicorn
partner_portal.wsgi`); every value can be changed by its environment variable
(docs/operations.md, Deploys without downtime).

- A rolling restart or a deploy sends SIGTERM: each worker finishes the requests it holds for
  up to `graceful_timeout` seconds, then exits. The load balancer stops sending first, once
  /readyz fails or the server leaves its target group; keep the orchestrator's grace period
  above GUNICORN_GRACEFUL_TIMEOUT.
- Workers are replaced after `max_requests` requests (plus a random jitter, so they do not all
  restart at once): slow memory growth never builds up.
- gunicorn's own lines go through the same formatter as the portal's (JSON in production).
  The access log is the portal's `portal.access` line (request id, user, partner, view,
  duration); gunicorn's own, with the request id the response carries, is switched on by
  GUNICORN_ACCESS_LOG=true.
- The request line may be up to 8190 bytes (gunicorn's default is 4094): the API refuses an
  address over API_MAX_URL_LENGTH (4000 by default) itself, with a 414 in problem details a
  program can read, instead of gunicorn's HTML page. Only a line over 8190 bytes still meets
  gunicorn's page.
- Prometheus: each worker keeps its counters in PROMETHEUS_MULTIPROC_DIR (a fresh folder unless
  set), so a scrape of /metrics adds all the workers up; a dead worker's files are marked.
- Each worker, once the portal is loaded, moves what it loaded out of the garbage collector's
  reach (`gc.freeze()`): a full collection then walks only what requests made. Without it one
  request in ~50 paid ~110 ms for walking ~190,000 objects of code and settings
  (bench/RESULTS.md: the slowest of 774 staff requests 134-141 ms, 60 ms with it).
"""

import multiprocessing
import os
import shutil
import tempfile


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _bool(name: str, default: bool = False) -> bool:
    return (os.environ.get(name) or str(default)).lower() in ("1", "true", "yes", "on")


bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT') or 8000}"
workers = _int("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1)
threads = _int("GUNICORN_THREADS", 1)
# A request running longer than this is killed (the worker restarts); uploads stream in
# within it: ATTACHMENT_MAX_FILES x ATTACHMENT_MAX_BYTES over the slowest link you serve.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
limit_request_line = 8190
# Above the load balancer's idle timeout would let it reuse a connection gunicorn closed.
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)
# The heartbeat files in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Behind the balancer: trust X-Forwarded-* only from it (the portal's own settings read the
# client's address, see AXES_PROXY_COUNT).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS") or "127.0.0.1"

accesslog = "-" if _bool("GUNICORN_ACCESS_LOG") else None
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s agent="%(a)s"'
_debug = _bool("DEBUG")
_format = os.environ.get("LOG_FORMAT") or ("text" if _debug else "json")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": _format},
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Prometheus in multiprocess mode: set before the workers import prometheus_client.
_made_metrics_dir = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _made_metrics_dir = tempfile.mkdtemp(prefix="portal-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _made_metrics_dir


def on_starting(server):
    """Counters left by a previous run of this server would be added to the new ones."""
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        os.remove(os.path.join(folder, name))


def post_worker_init(worker):
    """The portal is loaded: what is alive now lives as long as the worker (see above)."""
    import gc

    gc.collect()
    gc.freeze()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _made_metrics_dir:
        shutil.rmtree(_made_metrics_dir, ignore_errors=True)
