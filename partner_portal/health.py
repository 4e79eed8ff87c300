"""Health probes for the load balancer and the orchestrator: `/healthz` and `/readyz`.

- `/healthz` (liveness): the process answers. It touches nothing else, so a database outage
  never makes the orchestrator restart every web process at once.
- `/readyz` (readiness): the database answers, every migration this release knows is applied,
  Redis answers when `REDIS_URL` is set, the bucket answers when files go to S3. 200 when all
  pass, 503 naming the failed checks otherwise. `?worker=1` also asks whether a Celery worker
  ran the beat's heartbeat lately (for monitoring, not for the load balancer: a worker outage
  must not take the web servers out of rotation).

Both are served by `ProbeMiddleware` before any other middleware: no session, no login or 2FA
rule, no HTTPS redirect and no ALLOWED_HOSTS check (a balancer probes by the server's address).

Small views rather than django-health-check: the checks the portal needs are five short
functions; django-health-check adds an app, its own URL tree and template, a database-writing
check (a row per probe), and caches nothing, while a probe every second needs the expensive
check (the migration graph) remembered. The results of the slow checks are kept in this
process for a few seconds (`_remembered`), never in Redis, which may be what failed.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.http import JsonResponse

logger = logging.getLogger(__name__)

HEARTBEAT_KEY = "portal:worker-heartbeat"
# How long a check's answer is reused in this process: (when it passed, when it failed).
REMEMBER_SECONDS = {"migrations": (60.0, 5.0), "storage": (30.0, 5.0)}
_memory: dict[str, tuple[float, bool]] = {}


def _remembered(name: str, check) -> bool:
    """The check's last answer while it is fresh, else a new one."""
    now = time.monotonic()
    if name in _memory:
        at, ok = _memory[name]
        if now - at < REMEMBER_SECONDS[name][0 if ok else 1]:
            return ok
    ok = check()
    _memory[name] = (now, ok)
    return ok


def forget() -> None:
    """Drop the remembered answers (tests; a probe right after a migration)."""
    _memory.clear()


def database_ok() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def migrations_ok() -> bool:
    """No migration of this release is left to apply (an older release, knowing fewer, is
    ready too: expand-then-contract keeps it working beside the new schema)."""
    # Every node, not the plan to the leaves: a leaf applied with an ancestor missing (a row
    # deleted, a migration merged in late) plans nothing, and is still not ready.
    loader = MigrationLoader(connection)
    return all(node in loader.applied_migrations for node in loader.graph.nodes)


_redis_client = None


def redis_ok() -> bool:
    global _redis_client
    if _redis_client is None:
        import redis

        # Its own short timeouts: Django's cache client would wait for the OS's.
        _redis_client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
    return bool(_redis_client.ping())


def storage_ok() -> bool:
    """The bucket exists and our credentials reach it (HEAD, nothing read or written)."""
    client = default_storage.connection.meta.client
    client.head_bucket(Bucket=default_storage.bucket_name)
    return True


def worker_ok() -> bool:
    """A worker ran the heartbeat beat schedules, lately (`partner_portal.tasks.heartbeat`)."""
    beat = cache.get(HEARTBEAT_KEY)
    return beat is not None and time.time() - beat < settings.WORKER_HEARTBEAT_MAX_AGE


def _run(name: str, check) -> str:
    try:
        return "ok" if check() else "failed"
    except Exception:  # noqa: BLE001 - any failure of the dependency is "not ready"
        logger.warning("readiness check %s failed", name, exc_info=True)
        return "failed"


def readiness(*, worker: bool = False) -> dict[str, str]:
    """{check: "ok" | "failed" | "skipped"} for each dependency of this configuration."""
    s3 = "S3Storage" in settings.STORAGES["default"]["BACKEND"]
    results = {
        "database": _run("database", database_ok),
        "migrations": _run("migrations", lambda: _remembered("migrations", migrations_ok)),
        "redis": _run("redis", redis_ok) if settings.REDIS_URL else "skipped",
        "storage": _run("storage", lambda: _remembered("storage", storage_ok)) if s3 else "skipped",
    }
    if worker:
        # Without a broker there is no worker: events are delivered in the web process.
        results["worker"] = _run("worker", worker_ok) if settings.CELERY_BROKER_URL else "skipped"
    return results


def healthz(request):
    return JsonResponse({"status": "ok"})


def readyz(request):
    checks = readiness(worker=request.GET.get("worker") == "1")
    failed = sorted(name for name, result in checks.items() if result == "failed")
    body = {"status": "failed" if failed else "ok", "checks": checks, "failed": failed}
    return JsonResponse(body, status=503 if failed else 200)
