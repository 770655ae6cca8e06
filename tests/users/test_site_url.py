"""Reset links open on the host and port the request came to (users.site_url); SITE_URL
only for work without a request."""

import pytest
from django.core import mail
from django.urls import reverse

from tests.conftest import PASSWORD
from users import services
from users.models import UserStatus

pytestmark = pytest.mark.django_db


def reset_link(message) -> str:
    return next(line for line in message.body.splitlines() if "/account/" in line)


def test_a_reset_link_uses_the_host_the_admin_came_to(
    client, settings, admin_user, make_user, django_capture_on_commit_callbacks
):
    settings.ALLOWED_HOSTS = ["lms.example.org"]
    settings.SITE_URL = "http://127.0.0.1:8000"
    learner = make_user(email="jo@example.org")
    services.user_deactivate(learner, by=admin_user, reason="Leave")
    assert client.login(username=admin_user.username, password=PASSWORD)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:users_user_toggle", args=[learner.pk]),
            {"reason": "Back"},
            HTTP_ACCEPT="application/json",
            HTTP_HOST="lms.example.org:8443",
            secure=True,
        )
    assert response.json()["status"] == UserStatus.ACTIVE
    assert reset_link(mail.outbox[0]).startswith("https://lms.example.org:8443/account/")


def test_without_a_request_the_link_uses_site_url(
    settings, admin_user, make_user, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://training.example.com"
    learner = make_user(email="jo@example.org")
    services.user_deactivate(learner, by=admin_user, reason="Leave")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.user_reactivate(learner, by=admin_user, reason="Back")
    assert reset_link(mail.outbox[0]).startswith("https://training.example.com/account/")
