"""gunicorn's configuration for hmskort in production (`make serve`, the container, the Procfile).

Use: `gunicorn --config python:hmskort.gunicorn_conf hmskort.wsgi`. Loading this module first
checks the production settings: without SECRET_KEY or DATABASE_URL it prints one line for each
on stderr and stops (exit status 2), before any worker starts.

Workers and threads come from the environment. The defaults suit 2 cores: 2 worker processes of
4 threads each (gthread), so a slow request or a database wait does not hold a whole process.
"""

import os
import shutil
from pathlib import Path

from hmskort.preflight import require_production_settings

# Production reads the real environment (or a file named by HMSKORT_ENV_FILE), never the
# checkout's development .env; the workers inherit this.
os.environ.setdefault("HMSKORT_ENV_FILE", "")
require_production_settings()

bind = os.environ.get("HMSKORT_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("HMSKORT_WEB_WORKERS", "2"))
threads = int(os.environ.get("HMSKORT_WEB_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("HMSKORT_WEB_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200
# Only the TLS-terminating proxy in front may say the request came over https.
forwarded_allow_ips = os.environ.get("HMSKORT_TRUSTED_PROXIES", "127.0.0.1") or "127.0.0.1"
# The application logs each request itself (JSON, without personal data); gunicorn's access log
# would add the query string, which can hold a card number.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# Prometheus metrics from every worker process are added up through files in this directory.
_metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    str(Path(os.environ.get("HMSKORT_VAR_DIR", "var")).resolve() / "prometheus"),
)


def on_starting(server):
    """A fresh metrics directory per start: counters of a previous run must not add up."""
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    Path(_metrics_dir).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
