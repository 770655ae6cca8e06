"""Gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py`.

Every value can be changed from the environment (the same file the systemd unit reads), so
one file serves every machine. nginx sits in front (deploy/nginx/lms.conf.template): it
terminates TLS, buffers slow clients and uploads, serves /static/ and sets
X-Forwarded-Proto, which Django trusts (SECURE_PROXY_SSL_HEADER) because gunicorn listens
on loopback only.
"""

import multiprocessing
import os
from pathlib import Path

# The project root, whatever directory systemd or a shell starts gunicorn from.
chdir = str(Path(__file__).resolve().parent.parent)
wsgi_app = "lms_admin.wsgi:application"

# Loopback only: nothing but nginx on this machine may talk to the app server, since the
# app trusts the X-Forwarded-Proto header nginx sets.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Sync workers: nginx buffers requests and responses, so a worker is never held by a slow
# client, and pages are database-bound. Two per core keeps the cores busy while a worker
# waits on PostgreSQL.
workers = int(os.environ.get("GUNICORN_WORKERS", str(multiprocessing.cpu_count() * 2)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Streamed exports of a million rows take about 20 s; leave room before a worker is killed.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
# nginx keeps connections to the upstream open (keepalive in the upstream block).
keepalive = 75
# Recycle workers now and then so that a slow leak never grows without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Heartbeat files in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The path without its query string (%(U)s, not %(r)s): Canvas scripts may send
# ?access_token=..., and a token must never reach a log file.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
proc_name = "lms-web"
