"""`make serve`: gunicorn with production settings, refusing to start without what it needs."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PRODUCTION_SECRET = "a-long-random-production-secret-key-" + "x" * 40


def _environment(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DATABASE_URL", "DEBUG", "HMSKORT_ENV_FILE", "MAKEFLAGS"}
    }
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_make_serve_refuses_to_start_without_secret_key_and_database_url_one_line_each():
    result = subprocess.run(
        ["make", "-s", "--no-print-directory", "serve", f"PORT={_free_port()}"],
        cwd=CHECKOUT,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    ours = [line for line in result.stderr.splitlines() if line.startswith("hmskort:")]
    assert len(ours) == 2
    assert ours[0].startswith("hmskort: SECRET_KEY is not set")
    assert ours[1].startswith("hmskort: DATABASE_URL is not set")


def test_gunicorn_with_the_repository_configuration_refuses_a_missing_database_url():
    result = subprocess.run(
        [str(BIN / "gunicorn"), "--config", "python:hmskort.gunicorn_conf", "hmskort.wsgi"],
        env=_environment(DEBUG="0", SECRET_KEY=PRODUCTION_SECRET),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "hmskort: DATABASE_URL is not set; production needs the PostgreSQL database, e.g."
        " postgres://user@host:5432/hmskort (see docs/deploy.md)"
    ]


def test_gunicorn_serves_the_readiness_check_with_production_settings(tmp_path):
    port = _free_port()
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    env = _environment(
        DEBUG="0",
        SECRET_KEY=PRODUCTION_SECRET,
        DATABASE_URL=database_url,
        ALLOWED_HOSTS="127.0.0.1",
        HMSKORT_VAR_DIR=str(tmp_path / "var"),
        HMSKORT_WEB_WORKERS="1",
        HMSKORT_WEB_THREADS="2",
    )
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--config",
            "python:hmskort.gunicorn_conf",
            "--bind",
            f"127.0.0.1:{port}",
            "hmskort.wsgi",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        body = None
        deadline = time.monotonic() + 60
        while body is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as r:
                    body = json.loads(r.read())
            except OSError:
                time.sleep(0.2)
        if body is None:
            os.killpg(server.pid, signal.SIGTERM)
            raise AssertionError(server.communicate(timeout=30)[1].decode()[-3000:])
        assert body["status"] == "ok", body
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
