"""The OpenAPI schema and the docs page need sign-in: a staff session or a personal token.

The same with DEBUG on and off, so that a developer sees what production does.
"""

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import client_for

SCHEMA = "/api/schema/?format=json"


@pytest.mark.parametrize("debug", [False, True])
def test_signed_out_gets_no_schema_and_is_sent_to_sign_in_from_the_docs(
    client, db, settings, debug
):
    settings.DEBUG = debug
    assert client.get(SCHEMA).status_code == 401
    docs = client.get("/api/docs/")
    assert docs.status_code == 302
    assert docs["Location"] == "/account/login/?next=/api/docs/"
    assert client.get("/api/docs/?script=").status_code == 302


def test_a_learner_session_is_refused(client, make_user):
    client.force_login(make_user(username="learner-docs"))
    assert client.get(SCHEMA).status_code == 403
    assert client.get("/api/docs/").status_code == 403


def test_staff_session_and_token_read_the_schema(client, admin_user, make_user):
    client.force_login(admin_user)
    assert client.get(SCHEMA).status_code == 200
    assert client.get("/api/docs/").status_code == 200
    # A token is enough, whoever holds it: scripts read the schema they are written against.
    token_client = client_for(make_user(username="integration"))
    assert token_client.get(SCHEMA).status_code == 200
    assert APIClient().get(SCHEMA, HTTP_AUTHORIZATION="Bearer lms_wrong").status_code == 401
