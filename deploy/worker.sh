#!/usr/bin/env sh
# The background task worker (imports, mail): `deploy/worker.sh`. Run one or more on any
# machine that reaches the database; systemd starts it with deploy/systemd/lms-worker@.service.
# Extra arguments go to db_worker, e.g. `deploy/worker.sh --queue-name default`.
set -eu
cd "$(dirname "$0")/.."
# The worker must not reload itself on code changes in production (its default under DEBUG).
exec "${PYTHON:-.venv/bin/python}" manage.py db_worker --no-reload "$@"
