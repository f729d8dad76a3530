"""Job queue on Redis where a job survives the death of the worker that took it.

huey's own RedisStorage pops a job off the queue (BRPOP): if the worker is killed while it runs
the job (SIGKILL, out of memory, a lost machine) the job is gone. Here a worker *moves* the job
(BLMOVE, atomic) to an in-flight list of its own process and removes it from there only when the
job has run (done, failed, or re-scheduled for a retry by huey). Each worker process keeps a
heartbeat key alive in Redis (a daemon thread renews it every third of the lease); a worker that
finds the in-flight list of a process whose heartbeat has expired moves those jobs back to the
head of the queue, one atomic LMOVE at a time, so a job is neither lost nor queued twice.

A retried job may have done part of its work before the kill, so every job must be idempotent
(hmskort's are: the recompute writes a card's state from its facts, a register sync stores the
facts it read, a webhook delivery carries the same delivery id on every attempt).

Several workers on one queue are fine; periodic jobs must be enqueued by one process only
(`hmskort run_huey --no-periodic` for the workers, one scheduler without it; see docs/deploy.md).
"""

import logging
import os
import socket
import threading
import time
import uuid

from huey import RedisHuey
from huey.storage import RedisStorage

logger = logging.getLogger(__name__)


class ReliableRedisStorage(RedisStorage):
    def __init__(self, *args, lease_seconds: float = 30, **kwargs):
        super().__init__(*args, **kwargs)
        self.lease_seconds = float(lease_seconds)
        self.inflight_prefix = f"huey.inflight.{self.name}."
        self.alive_prefix = f"huey.alive.{self.name}."
        self._pid: int | None = None
        self._owner = ""
        self._next_recovery = 0.0
        self._lock = threading.Lock()

    # --- this process -------------------------------------------------------------------
    @property
    def owner(self) -> str:
        """A name for this process; a forked child gets its own, with its own heartbeat."""
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                self._owner = f"{socket.gethostname()}:{self._pid}:{uuid.uuid4().hex[:8]}"
                self._beat()
                thread = threading.Thread(
                    target=self._heartbeat, args=(self._owner,), name="huey-heartbeat", daemon=True
                )
                thread.start()
            return self._owner

    @property
    def inflight_key(self) -> str:
        return self.inflight_prefix + self.owner

    def _beat(self) -> None:
        ttl_ms = max(int(self.lease_seconds * 1000), 1000)
        self.conn.set(self.alive_prefix + self._owner, b"1", px=ttl_ms)

    def _heartbeat(self, owner: str) -> None:
        while self._owner == owner and self._pid == os.getpid():
            time.sleep(self.lease_seconds / 3)
            try:
                self._beat()
            except Exception:  # Redis away for a moment: try again at the next beat.
                logger.warning("job worker heartbeat failed", exc_info=True)

    # --- the queue ------------------------------------------------------------------------
    def dequeue(self):
        inflight_key = self.inflight_key
        self._recover_if_due()
        if self.blocking:
            try:
                return self.conn.blmove(
                    self.queue_key, inflight_key, self.read_timeout, "RIGHT", "LEFT"
                )
            except (TimeoutError, TypeError, IndexError):
                return None
        return self.conn.lmove(self.queue_key, inflight_key, "RIGHT", "LEFT")

    def ack(self, data: bytes) -> None:
        """The job has run: forget it (it is no longer in flight)."""
        self.conn.lrem(self.inflight_key, 1, data)

    def inflight_size(self) -> int:
        return sum(self.conn.llen(key) for key in self.conn.scan_iter(self.inflight_prefix + "*"))

    def flush_queue(self):
        super().flush_queue()
        for key in self.conn.scan_iter(self.inflight_prefix + "*"):
            self.conn.delete(key)

    # --- jobs of dead workers -----------------------------------------------------------------
    def _recover_if_due(self) -> None:
        now = time.monotonic()
        if now < self._next_recovery:
            return
        self._next_recovery = now + self.lease_seconds / 2
        try:
            self.recover_abandoned()
        except Exception:
            logger.warning("could not recover jobs of stopped workers", exc_info=True)

    def recover_abandoned(self) -> int:
        """Put the jobs of workers whose heartbeat expired back at the head of the queue."""
        moved = 0
        for key in self.conn.scan_iter(self.inflight_prefix + "*"):
            key = key.decode() if isinstance(key, bytes) else key
            owner = key[len(self.inflight_prefix) :]
            if owner == self._owner or self.conn.exists(self.alive_prefix + owner):
                continue
            while self.conn.lmove(key, self.queue_key, "RIGHT", "RIGHT") is not None:
                moved += 1
        if moved:
            logger.warning("requeued jobs of a stopped worker", extra={"jobs": moved})
        return moved


class ReliableRedisHuey(RedisHuey):
    """RedisHuey on ReliableRedisStorage: a job leaves the in-flight list only once it has run."""

    storage_class = ReliableRedisStorage

    def dequeue(self):
        data = self.storage.dequeue()
        if data is None:
            return None
        try:
            task = self.deserialize_task(data)
        except Exception:
            self.storage.ack(data)  # unreadable: retrying it would fail forever
            raise
        task._hmskort_queued_data = data
        return task

    def execute(self, task, timestamp=None):
        try:
            return super().execute(task, timestamp)
        finally:
            data = getattr(task, "_hmskort_queued_data", None)
            if data is not None:
                self.storage.ack(data)
