"""The production stack for real: nginx (TLS) in front of gunicorn, and a task worker, all on
loopback high ports, against the test database.

Outside CI a missing nginx or openssl skips these tests with a reason; in CI (CI=true) it is
an error, so they are never skipped silently there (.ci/run installs nginx).
"""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import override_settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NGINX = os.environ.get("NGINX_PATH") or shutil.which("nginx") or "/usr/sbin/nginx"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/deploy/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.deploy)


def require(program: str, package: str) -> None:
    if Path(program).exists():
        return
    message = f"{program} not found: apt-get install -y {package}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args[:3]} exited early:\n{log.read_text()[-3000:]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"Nothing listens on {port} after {seconds} s:\n{log.read_text()[-3000:]}")


def database_url() -> str:
    """The test database as a DATABASE_URL, so the servers see what the test writes."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{credentials}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def make_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


def nginx_main_config(directory: Path, site: Path) -> str:
    """What Debian's /etc/nginx/nginx.conf does around a site, in a directory of our own."""
    # As root, nginx's workers would drop to `nobody`, who cannot read the test's files.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = {name: directory / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {directory}/nginx.pid;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        "  include /etc/nginx/mime.types;\n  default_type application/octet-stream;\n"
        f"  client_body_temp_path {temp['body']};\n  proxy_temp_path {temp['proxy']};\n"
        f"  fastcgi_temp_path {temp['fastcgi']};\n  uwsgi_temp_path {temp['uwsgi']};\n"
        f"  scgi_temp_path {temp['scgi']};\n"
        f"  include {site};\n"
        "}\n"
    )


def render_site(env: dict[str, str]) -> str:
    sys.path.insert(0, str(DEPLOY))
    try:
        import render_nginx_site
    finally:
        sys.path.remove(str(DEPLOY))
    return render_nginx_site.render(env)


@dataclass
class Stack:
    directory: Path
    https_url: str
    http_url: str
    app_url: str
    cert: Path
    max_bytes: int
    upload_temp: Path
    nginx_body_temp: Path
    processes: list = field(default_factory=list)

    def log(self, name: str) -> str:
        path = self.directory / f"{name}.log"
        return path.read_text() if path.exists() else ""


@pytest.fixture
def production_stack(transactional_db, tmp_path):
    require(NGINX, "nginx")
    require(OPENSSL, "openssl")
    app_port, https_port, http_port = free_port(), free_port(), free_port()
    cert, key = make_certificate(tmp_path)
    static_root = tmp_path / "static"
    with override_settings(STATIC_ROOT=static_root):
        call_command("collectstatic", interactive=False, verbosity=0)
    upload_temp = tmp_path / "uploads"
    upload_temp.mkdir()
    max_bytes = 256 * 1024
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url(),
        "DB_CONN_MAX_AGE": "0",
        "STATIC_ROOT": str(static_root),
        "IMPORT_MAX_BYTES": str(max_bytes),
        "IMPORT_BACKGROUND_ROWS": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "GUNICORN_BIND": f"127.0.0.1:{app_port}",
        "GUNICORN_WORKERS": "2",
        "PYTHON": sys.executable,
        "LMS_SERVER_NAME": "127.0.0.1",
        "LMS_LISTEN_ADDRESS": "127.0.0.1",
        "LMS_HTTPS_PORT": str(https_port),
        "LMS_HTTP_PORT": str(http_port),
        "LMS_TLS_CERT": str(cert),
        "LMS_TLS_KEY": str(key),
        "LMS_LOG_DIR": str(tmp_path),
        # Where Django spools uploads on disk: the test checks nothing lands there.
        "TMPDIR": str(upload_temp),
    }
    site = tmp_path / "lms-site.conf"
    site.write_text(render_site(env))
    main = tmp_path / "nginx.conf"
    main.write_text(nginx_main_config(tmp_path, site))
    stack = Stack(
        directory=tmp_path,
        https_url=f"https://127.0.0.1:{https_port}",
        http_url=f"http://127.0.0.1:{http_port}",
        app_url=f"http://127.0.0.1:{app_port}",
        cert=cert,
        max_bytes=max_bytes,
        upload_temp=upload_temp,
        nginx_body_temp=tmp_path / "body",
    )

    def start(name, command, port=None):
        log = tmp_path / f"{name}.log"
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
        )
        stack.processes.append(process)
        if port:
            wait_for_port(port, process, log)
        return process

    try:
        check = subprocess.run(
            [NGINX, "-t", "-p", str(tmp_path), "-c", str(main), "-e", str(tmp_path / "t.log")],
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stderr
        start(
            "gunicorn",
            [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py")],
            app_port,
        )
        start(
            "worker", ["sh", str(DEPLOY / "worker.sh"), "--interval", "0.2", "--no-startup-delay"]
        )
        nginx_command = [NGINX, "-p", str(tmp_path), "-c", str(main)]
        start("nginx", nginx_command + ["-e", str(tmp_path / "nginx-error.log")], https_port)
        yield stack
    finally:
        for process in reversed(stack.processes):
            process.terminate()
        for process in stack.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
