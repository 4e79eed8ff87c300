"""The counters every process keeps for Prometheus (prometheus_client), in the lowest app so
each app can count its own events. Served by `/metrics` (partner_portal.metrics) in the web
process and by the worker's own endpoint (partner_portal.worker_metrics).

Counting is observation, not the portal's logic: the two signal receivers here (a failed
sign-in, a new database connection) only count.
"""

import time

from prometheus_client import Counter, Histogram

REQUEST_DURATION = Histogram(
    "portal_http_request_duration_seconds",
    "Time to answer a request, by view (URL name), method and status.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
DB_QUERIES = Counter("portal_db_queries_total", "SQL statements run.", ["alias", "vendor"])
DB_ERRORS = Counter("portal_db_errors_total", "SQL statements that failed.", ["alias", "vendor"])
DB_DURATION = Histogram(
    "portal_db_query_duration_seconds",
    "Time of one SQL statement.",
    ["alias", "vendor"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
)
EVENTS_RECORDED = Counter("portal_events_recorded_total", "Events committed, by kind.", ["kind"])
DELIVERY_ATTEMPTS = Counter(
    "portal_delivery_attempts_total",
    "E-mail and webhook sending attempts, by channel and outcome (sent, retry, failed).",
    ["channel", "outcome"],
)
LOGIN_FAILURES = Counter("portal_login_failures_total", "Failed sign-ins (wrong password).")


def count_login_failure(**kwargs) -> None:
    LOGIN_FAILURES.inc()


def _query_metrics(alias: str, vendor: str):
    queries, errors = DB_QUERIES.labels(alias, vendor), DB_ERRORS.labels(alias, vendor)
    duration = DB_DURATION.labels(alias, vendor)

    def wrapper(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        except Exception:
            errors.inc()
            raise
        finally:
            queries.inc()
            duration.observe(time.perf_counter() - started)

    wrapper.portal_metrics = True
    return wrapper


def count_queries(connection, **kwargs) -> None:
    """On each new connection (connection_created): count its statements and their time. The
    wrapper stays on the connection object, so a pooled connection gets it once. It goes
    first in the list: Django's `with connection.execute_wrapper(w)` takes off the last
    wrapper when it ends, which would be this one if the connection was opened inside it
    (and `w` would stay, one more each time)."""
    if not any(getattr(w, "portal_metrics", False) for w in connection.execute_wrappers):
        connection.execute_wrappers.insert(0, _query_metrics(connection.alias, connection.vendor))
