"""Logging: JSON lines in production, plain text in development; never personal data.

Each record is one JSON object (`time`, `level`, `logger`, `message`, and the record's extra
fields). Django's own request records ("Not Found: /api/v1/cards/…") name the path, which can hold
a card number or a QR token: `PrivacyFilter` puts the URL name in its place and drops the request
object. As a last guard, any run of 11 or more digits (national ID numbers, card numbers) in a
message is masked. Requests are logged by hmskort.metrics.MetricsMiddleware as
`{"message": "request", "route": …, "method": …, "status": …, "duration_ms": …}` — no path,
no query string, no IP address, no user.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from http import HTTPStatus

_LONG_NUMBER = re.compile(r"\d{11,}")


def skip_unprinted_fields() -> None:
    """Stop every log record from gathering what the JSON lines never print (the logging HOWTO,
    "Optimization"): the caller's file and line (a walk up the stack), the thread's, process's
    and multiprocessing names. The request line of each card check is on the hottest path.
    Called by the settings in production (JSON format) only: development and tests keep file
    and line for pytest's and the developer's display."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


# ASCII digits made one byte: a quick test for a run of 11, in C, before the regular expression
# (which, run over every whole log line, took nearly half of the line's instructions).
_DIGITS_AS_HASH = bytes.maketrans(b"0123456789", b"#" * 10)
_ELEVEN = b"#" * 11


def _mask(text: str) -> str:
    if text.isascii() and text.encode("ascii").translate(_DIGITS_AS_HASH).find(_ELEVEN) < 0:
        return text  # no run of 11 digits (\d beyond ASCII needs a non-ASCII text)
    return _LONG_NUMBER.sub(lambda m: "*" * len(m.group()), text)


class PrivacyFilter(logging.Filter):
    """Keeps paths, request objects and long numbers (IDs, card numbers) out of log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is not None:
            match = getattr(request, "resolver_match", None)
            record.route = match.view_name if match is not None else "unmatched"
            record.method = getattr(request, "method", "")
            # "Not Found: %s" and the like: the status, not the path.
            status = getattr(record, "status_code", 0)
            try:
                record.msg = f"{status} {HTTPStatus(status).phrase}"
            except ValueError:
                record.msg = "request"
            record.args = ()
            vars(record).pop("request", None)
        if record.args:
            record.msg = record.getMessage()
            record.args = ()
        record.msg = _mask(str(record.msg))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _mask(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: `time`, `level`, `logger`, `message`, then the record's extra
    fields (what `extra=` gave, or a filter set), `exc_info` and `stack_info` when present; dates
    and times as ISO 8601, anything else JSON cannot hold as its text.

    Written here rather than taken from python-json-logger: every card check logs a line, and a
    line cost 144,000 instructions through that library's general formatter against 117,000
    through this one (callgrind; bench/README.md, issue 15's third session)."""

    default_time_format = "%Y-%m-%dT%H:%M:%S%z"
    default_msec_format = None

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_FIELDS and not key.startswith("_"):
                data[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            data["exc_info"] = record.exc_text
        if record.stack_info:
            data["stack_info"] = self.formatStack(record.stack_info)
        # Extra fields of any library's records too: no long digit runs leave the process.
        return _mask(_ENCODER.encode(data))


# The attributes every LogRecord has (and those formatting adds): not extra fields.
_STANDARD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def _as_text(value: object) -> str:
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


_ENCODER = json.JSONEncoder(default=_as_text)
