"""Signing in and reading the users page, for the tests of the admin's user pages."""

from tests.conftest import PASSWORD

CHANGELIST = "/admin/users/user/"


def sign_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def listed(response):
    return [user.username for user in response.context["cl"].result_list]


def tabs(response):
    return {tab["label"]: tab for tab in response.context["status_tabs"]}


def bulk(client, action, users, confirm=False, **data):
    payload = {
        "action": action,
        "index": "0",
        "_selected_action": [user.pk for user in users],
        **data,
    }
    if confirm:
        payload["confirm"] = "yes"
    return client.post(CHANGELIST + "?status=all", payload)
