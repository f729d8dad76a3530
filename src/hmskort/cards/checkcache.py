"""The card check's answer cache: one Redis round trip per check, never a stale answer after a
change commits.

The anonymous `GET /api/v1/cards/{n}` (`hmskort.api.lean`) counts the client's rate limits
(minute and day) and fetches the cached answer for the number in **one** Lua script
(`count_and_fetch`, run by EVALSHA on the thread's own connection). **Every card's answer is
in the cache**: the hourly job `cards.tasks.warm_check_cache` (`warm`) stores them all, so a
check of any existing number needs no database. Only on a miss (an unknown number, a card
forgotten a moment ago, a Redis restart before the job has run) does it read PostgreSQL
(`cards.lookup`), and then it stores what it read. Answers live `HMSKORT_CHECK_CACHE_SECONDS`
(7800 s: longer than one missed hourly run).

**Forgetting.** Whatever changes a card's validity or state calls `forget(numbers)` after its
transaction commits (`forget_on_commit` from inside it). This module is the one place that
does it; today it is called from:

- `cards.recompute._send_changes`: every recompute that wrote new validity (the bulk recompute
  on register facts, the daily passing-time run, the full recompute, and the lifecycle's own
  refresh) — **a recompute path that writes `valid`, `reasons` or `state` must call `forget`
  with the changed card numbers after commit**, as `_send_changes` does;
- `cards.services.card_transition` (and so every lifecycle step: issue, block, unblock, lost,
  stolen, terminate, reject, replace …), also when the validity does not change.

`forget` writes a short tombstone (`HMSKORT_CHECK_CACHE_TOMBSTONE_SECONDS`, 30 s) and deletes
the cached answer. A reader (a check that missed, or `warm` with each chunk it read) stores an
answer only if no tombstone exists (atomically, in Lua), so a reader that read the old row
before the commit cannot put the stale answer back after the delete; a reader whose read started more than half the tombstone's life ago does not store at
all (its tombstone may have expired). With a read replica, the tombstone must outlive the
replica's lag: a reader that reads the replica before it has the change stores nothing while
the tombstone lives.

What is cached is what the anonymous check shows (number, state, validity, card type, holder
and employer names, employer organisation number, expiry): no birth date, no national ID, no
reasons. Names changed elsewhere (a rename) may show the old name until the next hourly run
overwrites it; validity and state never do.

Without Redis (the embedded default: a cache per process) nothing is cached: every check reads
the database, as the other processes could not be told to forget.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from hiredis import pack_command
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError

from hmskort import ratelimit

if TYPE_CHECKING:
    from .lookup import CardCheck

log = logging.getLogger(__name__)

# Bump when the stored shape changes: old and new processes then use different keys.
_ANSWER = "check:v1:{}"
_TOMBSTONE = "check:gone:{}"
_FORGET_CHUNK = 1000

# KEYS: minute counter, day counter, [cached answer,] then (answer, tombstone) pairs of answers
# to store. ARGV: minute limit, minute TTL, day limit, day TTL, 1 if a cached answer is asked
# for, answer TTL, then the answers to store.
# First stores the answers this process read on its last misses, each unless the card was
# forgotten a moment ago (its tombstone: the reader may have read the row before the change
# committed). Then counts as ratelimit.count_anonymous does (a limit <= 0 counts nothing; the
# day only when the minute allows) and returns {minute count, day count, cached answer or nil};
# -1 for a counter not counted. The answer is read only when both allow.
_COUNT_AND_FETCH = """
local asked = tonumber(ARGV[5])
local first = 3 + asked
for i = 0, (#KEYS - first + 1) / 2 - 1 do
  if redis.call('EXISTS', KEYS[first + 2 * i + 1]) == 0 then
    redis.call('SET', KEYS[first + 2 * i], ARGV[7 + i], 'EX', ARGV[6])
  end
end
local function count(key, limit, ttl)
  if tonumber(limit) <= 0 then return -1 end
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('EXPIRE', key, ttl) end
  return n
end
local minute = count(KEYS[1], ARGV[1], ARGV[2])
if minute > tonumber(ARGV[1]) and tonumber(ARGV[1]) > 0 then return {minute, -1, false} end
local day = count(KEYS[2], ARGV[3], ARGV[4])
if day > tonumber(ARGV[3]) and tonumber(ARGV[3]) > 0 then return {minute, day, false} end
if asked == 1 then return {minute, day, redis.call('GET', KEYS[3])} end
return {minute, day, false}
"""

# KEYS: (answer, tombstone) pairs. ARGV: TTL, then the answers. Stores each unless forgotten a
# moment ago; returns how many it stored.
_STORE = """
local stored = 0
for i = 0, #KEYS / 2 - 1 do
  if redis.call('EXISTS', KEYS[2 * i + 2]) == 0 then
    redis.call('SET', KEYS[2 * i + 1], ARGV[2 + i], 'EX', ARGV[1])
    stored = stored + 1
  end
end
return stored
"""

# The answers this process read from the database on a miss, waiting to ride along with its
# next check's round trip: (number, encoded answer, when its read started). Bounded; an answer
# not sent in time is dropped (a later miss reads the database again).
_pending: deque[tuple[str, str, float]] = deque(maxlen=256)


def _redis() -> tuple[Any, Any] | None:
    """(client, key maker) when answers are cached: Redis is the cache and a TTL is set."""
    if settings.HMSKORT_CHECK_CACHE_SECONDS <= 0:
        return None
    return ratelimit.shared_redis()


def enabled() -> bool:
    return _redis() is not None


@functools.cache
def _sha(source: str) -> str:
    """The SHA1 Redis knows a script by (EVALSHA)."""
    return hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()


# The check's own Redis connection, one per thread: the check's one round trip sent and read on
# it directly. Through the client (pool checkout and return, retry wrapper, command dispatch)
# the same EVALSHA costs the worker about three times the CPU (bench/README.md).
_local = threading.local()


def _connection(client: Any) -> Any:
    conn = getattr(_local, "conn", None)
    if conn is None or conn.pid != os.getpid() or _local.pool is not client.connection_pool:
        conn = client.connection_pool.make_connection()
        _local.conn, _local.pool = conn, client.connection_pool
    return conn


def _run_script(client: Any, source: str, keys: list[Any], args: list[Any]) -> Any:
    """EVALSHA of `source` on this thread's connection; the script is loaded when the server
    does not know it (the first call, after a Redis restart). A connection that broke (a Redis restart, a
    timeout) is dropped and the call tried once more on a new one; a second failure raises."""
    for attempt in (1, 2):
        conn = _connection(client)
        try:
            try:
                conn.send_packed_command(
                    [pack_command(("EVALSHA", _sha(source), len(keys), *keys, *args))]
                )
                return conn.read_response()
            except NoScriptError:
                # EVAL runs it and leaves it in the server's script cache for the next EVALSHA.
                conn.send_packed_command([pack_command(("EVAL", source, len(keys), *keys, *args))])
                return conn.read_response()
        except (RedisConnectionError, RedisTimeoutError):
            conn.disconnect()
            _local.conn = None
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def count_and_fetch(
    windows: tuple[ratelimit.Window, ratelimit.Window], number: str | None
) -> tuple[ratelimit.Limit, CardCheck | None] | None:
    """Count the anonymous check's two rate-limit counters and, if both allow, fetch the cached
    answer for `number` (None: count only), in one round trip; answers remembered since this
    process's last round trip are stored in the same one. None (nothing counted) when answers
    are not cached: the caller counts by `ratelimit.count_anonymous` and reads the database."""
    redis = _redis()
    if redis is None:
        return None
    client, make_key = redis
    per_minute, per_day = windows
    keys = [make_key(per_minute.key), make_key(per_day.key)]
    if number is not None:
        keys.append(make_key(_ANSWER.format(number)))
    args: list[Any] = [
        per_minute.limit,
        per_minute.ttl,
        per_day.limit,
        per_day.ttl,
        0 if number is None else 1,
        settings.HMSKORT_CHECK_CACHE_SECONDS,
    ]
    _take_pending(make_key, keys, args)
    minute, day, cached = _run_script(client, _COUNT_AND_FETCH, keys, args)
    limit = ratelimit.anonymous_verdict(
        windows, [None if minute < 0 else minute, None if day < 0 else day]
    )
    return limit, (_decode(cached) if cached else None)


def _take_pending(make_key: Any, keys: list[Any], args: list[Any]) -> None:
    """Move the pending answers into a script call's keys and arguments."""
    answers = []
    while _pending:
        answers.append(_pending.popleft())
    _add_answers(make_key, keys, args, answers)


def _add_answers(
    make_key: Any, keys: list[Any], args: list[Any], answers: Iterable[tuple[str, str, float]]
) -> None:
    """Add answers (number, encoded answer, when its read started) to a script call's keys and
    arguments; drop those whose read started more than half a tombstone's life ago (a change
    may have committed after the read and its tombstone expired since)."""
    oldest = time.monotonic() - settings.HMSKORT_CHECK_CACHE_TOMBSTONE_SECONDS / 2
    for number, value, read_started in answers:
        if read_started >= oldest:
            keys += [make_key(_ANSWER.format(number)), make_key(_TOMBSTONE.format(number))]
            args.append(value)


def remember(check: CardCheck, *, read_started: float) -> None:
    """Cache the answer a check just read from the database on a miss (`read_started`:
    `time.monotonic()` before it asked the cache). It is stored with this process's next round
    trip to Redis (`count_and_fetch` or `flush`), not in a round trip of its own, and only if
    the card was not forgotten meanwhile and the read is recent enough."""
    if _redis() is not None:
        _pending.append((check.number, _encode(check), read_started))


def flush() -> None:
    """Store the remembered answers now (the next check would otherwise carry them)."""
    redis = _redis()
    if redis is None or not _pending:
        return
    client, make_key = redis
    keys: list[Any] = []
    args: list[Any] = [settings.HMSKORT_CHECK_CACHE_SECONDS]
    _take_pending(make_key, keys, args)
    if keys:
        _run_script(client, _STORE, keys, args)


def warm(*, chunk: int = 2000) -> int:
    """Store the answer of every card, so that a check of any existing number is answered from
    the cache (the periodic job `cards.tasks.warm_check_cache`, and `hmskort cards warm-cache`).
    Read in chunks by id, each its own short query; each chunk is stored as a miss's answer is
    (`_STORE`: not over a tombstone, and only while its read is recent), so a card changed
    while the cache is filled is never stored with its old answer. Overwrites what is cached
    (a rename shows after the next run). Returns how many answers were stored (0 without
    Redis)."""
    from .lookup import cards_after

    redis = _redis()
    if redis is None:
        return 0
    client, make_key = redis
    stored = last_id = 0
    while True:
        read_started = time.monotonic()
        checks = cards_after(last_id, chunk)
        if not checks:
            return stored
        keys: list[Any] = []
        args: list[Any] = [settings.HMSKORT_CHECK_CACHE_SECONDS]
        _add_answers(make_key, keys, args, ((c.number, _encode(c), read_started) for c in checks))
        if keys:
            stored += int(_run_script(client, _STORE, keys, args))
        last_id = checks[-1].card_id


def forget(numbers: Iterable[str]) -> None:
    """The check must not answer from the cache for these cards any more: called after the
    transaction that changed their validity or state committed. Writes a tombstone, then
    deletes the cached answer (in that order, per card). Never raises: when Redis cannot be
    reached the failure is logged (without numbers) and a cached answer lives out its TTL."""
    redis = _redis()
    if redis is None:
        return
    client, make_key = redis
    wanted = list(dict.fromkeys(numbers))
    tombstone_ttl = max(1, int(settings.HMSKORT_CHECK_CACHE_TOMBSTONE_SECONDS))
    try:
        for start in range(0, len(wanted), _FORGET_CHUNK):
            pipe = client.pipeline(transaction=False)
            for number in wanted[start : start + _FORGET_CHUNK]:
                pipe.set(make_key(_TOMBSTONE.format(number)), 1, ex=tombstone_ttl)
                pipe.delete(make_key(_ANSWER.format(number)))
            pipe.execute()
    except Exception:
        log.exception(
            "the card check's cache could not forget %d cards; their cached answers may stay "
            "up to %s s",
            len(wanted),
            settings.HMSKORT_CHECK_CACHE_SECONDS,
        )


def forget_on_commit(numbers: Iterable[str], *, using: str | None = None) -> None:
    """`forget` these cards once the current transaction commits (at once outside one)."""
    wanted = list(numbers)
    if wanted:
        transaction.on_commit(lambda: forget(wanted), using=using)


def _encode(check: CardCheck) -> str:
    return json.dumps(
        [
            check.card_id,
            check.number,
            check.state,
            check.valid,
            check.card_type_code,
            check.card_type_name_nb,
            check.card_type_name_en,
            check.holder_name,
            check.employer_name,
            check.employer_orgnr,
            check.expires_on.isoformat() if check.expires_on else None,
        ],
        separators=(",", ":"),
    )


def _decode(raw: bytes | str) -> CardCheck:
    from .lookup import CardCheck

    fields: Sequence[Any] = json.loads(raw)
    (card_id, number, state, valid, code, name_nb, name_en) = fields[:7]
    (holder, employer, orgnr, expires_on) = fields[7:]
    return CardCheck(
        card_id=card_id,
        number=number,
        state=state,
        valid=bool(valid),
        card_type_code=code,
        card_type_name_nb=name_nb,
        card_type_name_en=name_en,
        holder_name=holder,
        birth_date=None,  # not shown by the single check; not kept in the cache
        employer_name=employer,
        employer_orgnr=orgnr,
        expires_on=dt.date.fromisoformat(expires_on) if expires_on else None,
    )
