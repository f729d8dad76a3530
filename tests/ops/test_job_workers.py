"""Job workers on Redis: several at once, and a SIGKILLed worker's job is retried, not lost."""

import importlib
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
import redis

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (job workers run on Redis)")

HUEY_CONSUMER = str(Path(sys.executable).parent / "huey_consumer")
JOBS_MODULE = textwrap.dedent(
    """
    import os
    import time
    from pathlib import Path

    from hmskort.jobs import ReliableRedisHuey

    huey = ReliableRedisHuey(
        os.environ["JOBS_QUEUE"], url=os.environ["REDIS_URL"], lease_seconds=2
    )
    LOG = Path(os.environ["JOBS_LOG_DIR"])


    def _log(name, line):
        with open(LOG / name, "a") as f:
            f.write(line + "\\n")


    @huey.task()
    def job(name, hold=False):
        _log("started.log", f"{name} {os.getpid()}")
        while hold and not (LOG / "release").exists():
            time.sleep(0.05)
        _log("done.log", name)
    """
)


def _wait_for(predicate, what, limit=60):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.fixture
def jobs(tmp_path, monkeypatch):
    queue = f"test-jobs-{uuid.uuid4().hex[:8]}"
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "killjobs.py").write_text(JOBS_MODULE)
    env = {**os.environ, "JOBS_QUEUE": queue, "JOBS_LOG_DIR": str(tmp_path)}
    env["PYTHONPATH"] = str(tmp_path / "pkg") + os.pathsep + env.get("PYTHONPATH", "")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.syspath_prepend(str(tmp_path / "pkg"))
    module = importlib.import_module("killjobs")
    workers: list[subprocess.Popen] = []

    def start_worker(threads: int) -> subprocess.Popen:
        process = subprocess.Popen(
            [HUEY_CONSUMER, "killjobs.huey", "-w", str(threads), "-k", "thread", "-q"],
            cwd=tmp_path,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / f"worker-{len(workers)}.log", "w"),  # noqa: SIM115
        )
        workers.append(process)
        return process

    yield module, start_worker, tmp_path
    for process in workers:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    sys.modules.pop("killjobs", None)
    conn = redis.Redis.from_url(REDIS_URL)
    for key in conn.scan_iter(f"huey.*{queue.replace('-', '_')}*"):
        conn.delete(key)
    for key in conn.scan_iter(f"huey.*{queue}*"):
        conn.delete(key)


def test_a_job_whose_worker_is_killed_midway_is_done_once_by_another_worker(jobs):
    module, start_worker, log_dir = jobs
    first = start_worker(threads=1)
    module.job("held", hold=True)
    _wait_for(
        lambda: any(line.startswith("held ") for line in _lines(log_dir / "started.log")),
        "the first worker to start the held job",
    )

    second = start_worker(threads=2)
    for n in range(10):
        module.job(f"quick-{n}")
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    (log_dir / "release").touch()

    expected = {"held", *(f"quick-{n}" for n in range(10))}
    _wait_for(lambda: set(_lines(log_dir / "done.log")) >= expected, "every job to be done")

    done = _lines(log_dir / "done.log")
    assert sorted(done) == sorted(expected), "every job done exactly once"
    held_starts = [
        line.split()[1] for line in _lines(log_dir / "started.log") if line.startswith("held ")
    ]
    assert held_starts == [str(first.pid), str(second.pid)]
    assert module.huey.storage.queue_size() == 0
    assert module.huey.storage.inflight_size() == 0


def test_the_project_queues_jobs_on_the_reliable_redis_queue_when_redis_is_configured():
    from django.conf import settings

    assert settings.HUEY["huey_class"] == "hmskort.jobs.ReliableRedisHuey"
    assert settings.HUEY["url"] == REDIS_URL
