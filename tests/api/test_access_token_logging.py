"""Canvas's ?access_token= works, but the token never reaches a log line."""

import io
import logging
from datetime import timedelta
from types import SimpleNamespace

from gunicorn.config import Config
from rest_framework.test import APIClient

from lms_admin.log_redaction import RedactingGunicornLogger

SECRET = "lms_SeCrEt-token-value"


class Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_the_development_server_log_line_has_no_token():
    """django.server logs each request line, as runserver's handler does."""
    logger = logging.getLogger("django.server")
    stream = io.StringIO()
    handler = logger.handlers[0]
    previous = handler.setStream(stream)
    try:
        logger.info(
            '"%s" %s %s',
            f"GET /api/v1/users/self?per_page=5&access_token={SECRET} HTTP/1.1",
            "200",
            "12",
        )
    finally:
        handler.setStream(previous)
    line = stream.getvalue()
    assert "/api/v1/users/self?per_page=5&access_token=[redacted] HTTP/1.1" in line
    assert SECRET not in line


def test_the_request_log_of_a_refused_token_has_no_token(db):
    capture = Capture()
    logger = logging.getLogger("django.request")
    logger.addHandler(capture)
    try:
        response = APIClient().get("/api/v1/users/self", {"access_token": SECRET})
    finally:
        logger.removeHandler(capture)
    assert response.status_code == 401
    assert capture.records, "django.request logs the 401"
    for record in capture.records:
        assert SECRET not in record.getMessage()
        assert record.request.GET["access_token"] == "[redacted]"
        assert SECRET not in record.request.META["QUERY_STRING"]


def test_the_gunicorn_access_log_has_no_token():
    config = Config()
    logger = RedactingGunicornLogger(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/api/v1/users/self?access_token={SECRET}",
        "PATH_INFO": "/api/v1/users/self",
        "QUERY_STRING": f"access_token={SECRET}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    request = SimpleNamespace(headers=[("AUTHORIZATION", f"Bearer {SECRET}")])
    response = SimpleNamespace(status="200 OK", sent=12, headers=[])
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=5))
    line = config.access_log_format % atoms + " " + atoms["{authorization}i"]
    assert SECRET not in line
    assert "access_token=[redacted]" in line
