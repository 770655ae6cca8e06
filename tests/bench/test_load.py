"""`manage.py bench load`: its counting and statistics, against a tiny server in this
process. No timing is asserted: figures belong in notes."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command

from bench.load import LoadResult, Page, Target, TargetRefused, run_load, run_pages, sign_in


class TinyServer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list = []

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.seen.append((self.path, dict(self.headers)))
        if self.path == "/admin/login/":
            form = b'<input name="csrfmiddlewaretoken" value="tok123">'
            self.answer(200, form, [("Set-Cookie", "csrftoken=c1; Path=/")])
        elif self.path == "/slow":
            time.sleep(0.02)
            self.answer(200, b"slow")
        elif self.path.startswith("/ok"):
            self.answer(200, b"fine")
        else:
            self.answer(500, b"broken")

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        self.seen.append((self.path, dict(self.headers), self.rfile.read(length)))
        self.answer(302, headers=[("Location", "/admin/"), ("Set-Cookie", "sessionid=s1; Path=/")])


@pytest.fixture
def server():
    TinyServer.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), TinyServer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield Target.parse(f"http://127.0.0.1:{httpd.server_address[1]}")
    httpd.shutdown()
    httpd.server_close()


def test_load_counts_every_request_and_each_error(server):
    result = run_load(server, "mixed", ["/ok", "/broken"], clients=4, requests=40, seconds=60)
    assert result.requests == 40
    assert result.errors == 20
    assert len(result.latencies_ms) == 20
    assert result.first_error == "HTTP 500 on /broken"
    assert len(TinyServer.seen) == 40
    assert result.per_second > 0
    assert 0 < result.p50 <= result.p95
    assert "errors 20" in result.line()


def test_load_speaks_as_nginx_does_to_a_plain_http_server(server):
    run_load(server, "one", ["/ok"], clients=1, requests=1, seconds=10, cookies={"a": "b"})
    _, headers = TinyServer.seen[0]
    assert headers["X-Forwarded-Proto"] == "https"
    assert headers["Cookie"] == "a=b"


def test_load_stops_at_its_bounds(server):
    # Asked for far more than it may do, it stops at the deadline, long before 5,000.
    result = run_load(server, "capped", ["/slow"], clients=8, requests=10**9, seconds=0.5)
    assert 0 < result.requests < 5000
    assert result.requests == len(TinyServer.seen)
    assert result.errors == 0


def test_percentiles_are_nearest_rank():
    result = LoadResult("x", latencies_ms=[float(n) for n in range(100, 0, -1)], seconds=2)
    assert result.p50 == 50
    assert result.p95 == 95
    assert result.percentile(100) == 100
    assert result.per_second == 50
    assert LoadResult("empty").p95 == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com:8000",
        "http://10.0.0.1:8000",
        "http://localhost.evil.com",
        "ftp://127.0.0.1",
    ],
)
def test_only_this_machine_is_a_target(url):
    with pytest.raises(TargetRefused):
        Target.parse(url)


def test_sign_in_posts_the_admin_form_with_its_csrf_token(server):
    cookies = sign_in(server, "trainer", "secret")
    assert cookies == {"csrftoken": "c1", "sessionid": "s1"}
    path, headers, body = TinyServer.seen[1]
    assert path == "/admin/login/"
    assert b"csrfmiddlewaretoken=tok123" in body and b"username=trainer" in body
    assert headers["Origin"] == f"https://127.0.0.1:{server.port}"
    assert headers["Cookie"] == "csrftoken=c1"


def test_pages_use_the_token_for_the_api_and_the_session_for_pages(server):
    lines = []
    pages = [Page("Users page", ["/ok/users"]), Page("API", ["/ok/api"], api=True)]
    results = run_pages(
        server,
        pages,
        clients=2,
        requests=4,
        seconds=10,
        cookies={"sessionid": "s1"},
        token="T",
        write=lines.append,
    )
    assert [r.requests for r in results] == [4, 4]
    # Two warm-up requests (one per client) and four measured, per page.
    api = [headers for path, headers in TinyServer.seen if path == "/ok/api"]
    pages_seen = [headers for path, headers in TinyServer.seen if path == "/ok/users"]
    assert len(api) == len(pages_seen) == 6
    assert all(h["Authorization"] == "Bearer T" and "Cookie" not in h for h in api)
    assert all(h["Cookie"] == "sessionid=s1" and "Authorization" not in h for h in pages_seen)
    assert lines[0].startswith("Users page") and lines[1].startswith("API")


@pytest.mark.django_db
def test_bench_load_refuses_another_machine():
    with pytest.raises(CommandError, match="only against this machine"):
        call_command("bench", "load", "--url", "http://192.0.2.1:8000")
