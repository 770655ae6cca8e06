"""Canvas's `?access_token=` keeps working, but its value never reaches a log line.

`RedactAccessTokens` is a logging filter (settings.LOGGING: django.server, django.request and
the console handler); `RedactingGunicornLogger` is gunicorn's access logger with the same
rule (`gunicorn --logger-class lms_admin.log_redaction.RedactingGunicornLogger`, or
`logger_class` in a gunicorn config file). The README tells integrators to prefer the
`Authorization: Bearer` header, which no access log records.
"""

from __future__ import annotations

import copy
import logging
import re

REDACTED = "[redacted]"
# access_token=<value> in a query string, a URL or a request line; the value ends at the
# next &, ; or space (or quote, in a logged request line).
TOKEN_IN_QUERY = re.compile(r"(?i)(access_token=)[^&;\s\"']*")


def redact(text: str) -> str:
    if "access_token" not in text.lower():
        return text
    return TOKEN_IN_QUERY.sub(rf"\g<1>{REDACTED}", text)


def _redact_value(value):
    return redact(value) if isinstance(value, str) else value


def _redacted_request(request):
    """A copy of the request whose query string and GET carry no token (for error mails)."""
    query = request.META.get("QUERY_STRING", "")
    if "access_token" not in query.lower():
        return request
    redacted = copy.copy(request)
    redacted.META = {**request.META, "QUERY_STRING": redact(query)}
    get = request.GET.copy()
    for key in list(get):
        if key.lower() == "access_token":
            get.setlist(key, [REDACTED])
    redacted.GET = get
    return redacted


class RedactAccessTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_value(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redact_value(value) for key, value in record.args.items()}
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "META"):
            record.request = _redacted_request(request)
        return True


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # gunicorn is for production; development runs without it
    _GunicornLogger = None

if _GunicornLogger is not None:

    class RedactingGunicornLogger(_GunicornLogger):
        def atoms(self, resp, req, environ, request_time):
            atoms = super().atoms(resp, req, environ, request_time)
            for key, value in atoms.items():
                if key == "{authorization}i" and value:
                    atoms[key] = REDACTED
                else:
                    atoms[key] = _redact_value(value)
            return atoms
