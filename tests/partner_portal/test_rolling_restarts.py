"""Rolling restarts: the committed gunicorn config and the Celery settings a deploy relies on."""

import os
import runpy
import subprocess
import sys
from pathlib import Path

from notifications import services
from notifications.webhooks import deliveries as webhooks
from partner_portal.celery import app

BASE_DIR = Path(__file__).resolve().parents[2]
CONFIG = BASE_DIR / "gunicorn.conf.py"


def _config(monkeypatch, **env) -> dict:
    for name in ("WEB_CONCURRENCY", "GUNICORN_MAX_REQUESTS", "PROMETHEUS_MULTIPROC_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG))


def test_gunicorn_restarts_workers_gracefully_and_in_turn(monkeypatch, tmp_path):
    config = _config(monkeypatch, WEB_CONCURRENCY="3", PROMETHEUS_MULTIPROC_DIR=str(tmp_path))

    assert config["workers"] == 3
    assert config["graceful_timeout"] == 30
    assert (config["max_requests"], config["max_requests_jitter"]) == (1000, 100)
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path)


def test_gunicorn_logs_through_the_json_formatter_in_production(monkeypatch, tmp_path):
    config = _config(
        monkeypatch,
        DEBUG="false",
        GUNICORN_ACCESS_LOG="true",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
    )

    logging = config["logconfig_dict"]
    assert config["accesslog"] == "-"
    assert "%({x-request-id}o)s" in config["access_log_format"]
    assert logging["handlers"]["console"]["formatter"] == "json"
    assert logging["formatters"]["json"]["()"] == "pythonjsonlogger.json.JsonFormatter"


def test_a_worker_freezes_what_it_loaded_for_the_garbage_collector(monkeypatch, tmp_path):
    """After a worker loads the portal, its objects are out of the collector's reach: a full
    collection walks only what requests made."""
    import gc

    config = _config(monkeypatch, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    try:
        gc.unfreeze()
        assert gc.get_freeze_count() == 0
        config["post_worker_init"](worker=None)
        assert gc.get_freeze_count() > 10_000  # Django, the portal's modules and settings
        assert len(gc.get_objects()) < gc.get_freeze_count()
    finally:
        gc.unfreeze()


def test_gunicorn_accepts_the_config(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--check-config", "partner_portal.wsgi:application"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_celery_redelivers_a_task_a_dying_worker_held_and_takes_one_at_a_time():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1


def test_the_visibility_timeout_covers_the_longest_task_and_the_longest_retry_wait(settings):
    longest_wait = max(services.retry_delay(99), webhooks.retry_delay(99))
    visibility = app.conf.broker_transport_options["visibility_timeout"]

    assert longest_wait == settings.LONGEST_TASK_COUNTDOWN == 3600
    assert visibility > longest_wait + app.conf.task_time_limit
    assert app.conf.task_time_limit == settings.CELERY_TASK_TIME_LIMIT
