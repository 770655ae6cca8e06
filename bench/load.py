"""`manage.py bench load`: a bounded load test of a running server on this machine.

Concurrent clients (threads, each with its own keep-alive connection) ask one page at a
time, as many times as `--requests` allows or until `--seconds` run out, whichever comes
first, and then it stops by itself. Only 127.0.0.1 is accepted as the target: this is a
measuring tool, not a way to flood someone else's server. Figures go to notes, never to
assertions.
"""

from __future__ import annotations

import http.client
import itertools
import math
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

LOOPBACK = "127.0.0.1"
MAX_CLIENTS = 64
MAX_REQUESTS = 5000
MAX_SECONDS = 300


class TargetRefused(ValueError):
    pass


@dataclass
class LoadResult:
    """What one page answered under load: latencies of the successful requests, errors."""

    name: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    first_error: str = ""

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + self.errors

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        """Nearest-rank percentile of the successful requests' latencies (0 when none)."""
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        rank = max(1, math.ceil(share / 100 * len(ordered)))
        return ordered[rank - 1]

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p95(self) -> float:
        return self.percentile(95)

    def line(self) -> str:
        error = f"  first error: {self.first_error}" if self.first_error else ""
        return (
            f"{self.name:<34} {self.requests:>6} req {self.per_second:>8.1f} req/s "
            f"p50 {self.p50:>7.0f} ms  p95 {self.p95:>7.0f} ms  errors {self.errors}{error}"
        )


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int

    @classmethod
    def parse(cls, url: str) -> Target:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.hostname != LOOPBACK:
            raise TargetRefused(
                f"The load test runs only against this machine: give http://{LOOPBACK}:PORT "
                f"or https://{LOOPBACK}:PORT, not {url}."
            )
        return cls(parts.scheme, LOOPBACK, parts.port or (443 if parts.scheme == "https" else 80))

    @property
    def origin(self) -> str:
        # A plain-HTTP target is gunicorn itself: we speak as nginx would (X-Forwarded-Proto),
        # so the browser-facing origin is https.
        return f"https://{self.host}:{self.port}"

    def connect(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            # Loopback with a self-signed certificate: no one in between to verify against.
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection(self.host, self.port, timeout=60, context=context)
        return http.client.HTTPConnection(self.host, self.port, timeout=60)


class Client:
    """One keep-alive connection with its cookies and headers."""

    def __init__(self, target: Target, headers: dict[str, str] | None = None):
        self.target = target
        self.headers = {"Host": f"{target.host}:{target.port}", **(headers or {})}
        if target.scheme == "http":
            self.headers["X-Forwarded-Proto"] = "https"
        self.cookies: dict[str, str] = {}
        self.connection = target.connect()

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        headers = {**self.headers, **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                content = response.read()
                break
            except (http.client.HTTPException, OSError):
                # The server closed a kept-alive connection (a worker recycled): once more.
                self.connection.close()
                self.connection = self.target.connect()
                if attempt == 2:
                    raise
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        return response.status, response.headers, content

    def close(self):
        self.connection.close()


def sign_in(target: Target, username: str, password: str) -> dict[str, str]:
    """Sign in through the admin's own form; returns the cookies of the session."""
    client = Client(target)
    try:
        status, _, page = client.request("GET", "/admin/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not match:
            raise TargetRefused(f"No sign-in form at /admin/login/ (HTTP {status}).")
        form = urlencode(
            {
                "csrfmiddlewaretoken": match.group(1).decode(),
                "username": username,
                "password": password,
                "next": "/admin/",
            }
        ).encode()
        status, headers, _ = client.request(
            "POST",
            "/admin/login/",
            body=form,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": target.origin,
                "Referer": f"{target.origin}/admin/login/",
            },
        )
        if status != 302 or "sessionid" not in client.cookies:
            raise TargetRefused(f"Signing in as {username} failed (HTTP {status}).")
        return dict(client.cookies)
    finally:
        client.close()


def run_load(
    target: Target,
    name: str,
    paths: list[str],
    *,
    clients: int,
    requests: int,
    seconds: float,
    headers: dict[str, str] | None = None,
    cookies: dict[str, str] | None = None,
) -> LoadResult:
    """Ask `paths` in turn from `clients` threads: `requests` in all, or until `seconds`."""
    clients = max(1, min(clients, MAX_CLIENTS, requests))
    requests = max(1, min(requests, MAX_REQUESTS))
    seconds = max(0.1, min(seconds, MAX_SECONDS))
    result = LoadResult(name)
    tickets = itertools.count()
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + seconds

    def work():
        client = Client(target, headers)
        client.cookies.update(cookies or {})
        try:
            while time.perf_counter() < deadline:
                ticket = next(tickets)
                if ticket >= requests:
                    return
                path = paths[ticket % len(paths)]
                begin = time.perf_counter()
                try:
                    status, _, _ = client.request("GET", path)
                    problem = "" if status == 200 else f"HTTP {status} on {path}"
                except (http.client.HTTPException, OSError) as error:
                    problem = f"{type(error).__name__} on {path}: {error}"
                elapsed = (time.perf_counter() - begin) * 1000
                with lock:
                    if problem:
                        result.errors += 1
                        result.first_error = result.first_error or problem
                    else:
                        result.latencies_ms.append(elapsed)
        finally:
            client.close()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        # Each request has its own 60 s timeout; the deadline bounds starting new ones.
        thread.join(timeout=seconds + 65)
    result.seconds = time.perf_counter() - started
    return result


@dataclass
class Page:
    name: str
    paths: list[str]
    api: bool = False


def run_pages(
    target: Target,
    pages: Iterable[Page],
    *,
    clients: int,
    requests: int,
    seconds: float,
    cookies: dict[str, str],
    token: str,
    write: Callable[[str], None],
) -> list[LoadResult]:
    results = []
    for page in pages:
        auth = {
            "headers": {"Authorization": f"Bearer {token}"} if page.api else None,
            "cookies": None if page.api else cookies,
        }
        # One round to open every client's connection and warm the workers, untimed.
        run_load(
            target,
            page.name,
            page.paths,
            clients=clients,
            requests=clients,
            seconds=seconds,
            **auth,
        )
        result = run_load(
            target,
            page.name,
            page.paths,
            clients=clients,
            requests=requests,
            seconds=seconds,
            **auth,
        )
        write(result.line())
        results.append(result)
    return results


# Face of the command ----------------------------------------------------------------------


def load_pages() -> list[Page]:
    """The users page, user cards spread over the table, the Archived report and two API
    lists: an account's users and a course's enrolments."""
    from django.db.models import Max

    from enrollments.models import Course
    from users.models import Organisation, User

    highest = User.objects.aggregate(highest=Max("pk"))["highest"] or 0
    cards = []
    for step in range(10):
        pk = (
            User.objects.filter(pk__gte=highest * step // 10)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        if pk is not None:
            cards.append(f"/admin/users/user/{pk}/change/")
    account = Organisation.objects.filter(parent__isnull=True).order_by("pk").first()
    # The demo's onboarding course enrols everyone: the longest list there is.
    course = Course.objects.filter(code="ONB101").first() or Course.objects.order_by("pk").first()
    return [
        Page("Users page", ["/admin/users/user/"]),
        Page("User card", cards),
        Page("Archived report", ["/admin/reports/archived/"]),
        Page("API: account users", [f"/api/v1/accounts/{account.pk}/users"], api=True),
        Page("API: course enrolments", [f"/api/v1/courses/{course.pk}/enrollments"], api=True),
    ]


def bench_load(stdout, options) -> list[LoadResult]:
    from django.core.management.base import CommandError

    from users.models import User
    from users.tokens import token_create, token_revoke

    try:
        target = Target.parse(options["url"])
    except TargetRefused as refused:
        raise CommandError(str(refused)) from refused
    person = User.objects.filter(username=options["username"]).first()
    if person is None:
        raise CommandError(f"No user {options['username']} in this database.")
    stdout.write(
        f"{options['url']}: {options['clients']} clients, up to {options['requests']} requests "
        f"or {options['seconds']:g} s per page"
    )
    try:
        cookies = sign_in(target, options["username"], options["password"])
    except (TargetRefused, OSError, http.client.HTTPException) as problem:
        raise CommandError(f"Cannot sign in at {options['url']}: {problem}") from problem
    token, secret = token_create(person, by=person, reason="bench load", expires_in_days=1)
    try:
        return run_pages(
            target,
            load_pages(),
            clients=options["clients"],
            requests=options["requests"],
            seconds=options["seconds"],
            cookies=cookies,
            token=secret,
            write=stdout.write,
        )
    finally:
        token_revoke(token, by=person, reason="bench load finished")
