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

import logging
import re
from http import HTTPStatus

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

_LONG_NUMBER = re.compile(r"\d{11,}")


def _mask(text: str) -> str:
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


class JsonFormatter(_JsonFormatter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"}
        )
        kwargs.setdefault("timestamp", False)
        kwargs.setdefault("datefmt", "%Y-%m-%dT%H:%M:%S%z")
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s", *args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        # Extra fields of any library's records too: no long digit runs leave the process.
        return _mask(super().format(record))
