#!/usr/bin/env python3
"""Write the nginx site: `deploy/render_nginx_site.py > /etc/nginx/sites-available/lms`.

Fills deploy/nginx/lms.conf.template from the environment (the same /etc/lms/env the app
reads), so that nginx's upload limit always follows IMPORT_MAX_BYTES:

    LMS_SERVER_NAME   lms.example.com            the public host name
    LMS_TLS_CERT      /etc/ssl/certs/lms.pem     certificate chain
    LMS_TLS_KEY       /etc/ssl/private/lms.key   its private key
    STATIC_ROOT       /srv/lms/var/static        where collectstatic puts files
    GUNICORN_BIND     127.0.0.1:8000             where gunicorn listens
    IMPORT_MAX_BYTES  52428800                   the largest import file
    LMS_HTTPS_PORT    443      LMS_HTTP_PORT 80  LMS_LOG_DIR /var/log/nginx

Only the standard library, so it runs before the virtualenv exists.
"""

import os
import sys
from pathlib import Path
from string import Template

TEMPLATE = Path(__file__).resolve().parent / "nginx" / "lms.conf.template"
DEFAULT_IMPORT_MAX_BYTES = 50 * 1024 * 1024  # as lms_admin/settings.py
# An upload's form fields besides the file (CSRF token, kind, organisation, encoding) and
# the multipart boundaries: a few hundred bytes; 64 KiB leaves room for long file names.
FORM_ALLOWANCE = 64 * 1024


class SiteTemplate(Template):
    # Only ${LMS_...} is ours; nginx's own $variables pass through untouched.
    delimiter = "$"
    pattern = r"\$\{(?P<braced>LMS_[A-Z_]+)\}|(?P<escaped>\$\$)|(?P<named>(?!))|(?P<invalid>(?!))"


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def site_values(env=os.environ) -> dict[str, str]:
    https_port = int(env.get("LMS_HTTPS_PORT", "443"))
    http_port = int(env.get("LMS_HTTP_PORT", "80"))
    listen_host = env.get("LMS_LISTEN_ADDRESS", "")
    server_name = env.get("LMS_SERVER_NAME", "lms.example.com")
    max_file = int(env.get("IMPORT_MAX_BYTES") or DEFAULT_IMPORT_MAX_BYTES)
    public_host = env.get("LMS_PUBLIC_HOST", server_name.split()[0])
    origin = f"https://{public_host}" + ("" if https_port == 443 else f":{https_port}")

    def listen(port: int) -> str:
        return f"{listen_host}:{port}" if listen_host else str(port)

    return {
        "LMS_SERVER_NAME": server_name,
        "LMS_HTTPS_LISTEN": listen(https_port),
        "LMS_HTTP_LISTEN": listen(http_port),
        "LMS_HTTPS_ORIGIN": origin,
        "LMS_TLS_CERT": env.get("LMS_TLS_CERT", "/etc/ssl/certs/lms.pem"),
        "LMS_TLS_KEY": env.get("LMS_TLS_KEY", "/etc/ssl/private/lms.key"),
        "LMS_STATIC_ROOT": str(env.get("STATIC_ROOT", "/srv/lms/var/static")).rstrip("/"),
        "LMS_UPSTREAM": env.get("GUNICORN_BIND", "127.0.0.1:8000"),
        "LMS_LOG_DIR": env.get("LMS_LOG_DIR", "/var/log/nginx"),
        "LMS_MAX_BODY": str(max_file + FORM_ALLOWANCE),
        "LMS_MAX_FILE_TEXT": megabytes(max_file),
    }


def render(env=os.environ) -> str:
    return SiteTemplate(TEMPLATE.read_text()).substitute(site_values(env))


if __name__ == "__main__":
    sys.stdout.write(render())
