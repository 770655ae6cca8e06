"""The learner's sign-in page: inactive accounts, forgot password, signing out."""

import pytest
from django.core import mail
from django.urls import reverse

from tests.conftest import PASSWORD
from users import services
from users.models import User

pytestmark = pytest.mark.django_db

INACTIVE = "Your account is inactive"


def sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_right_password_of_an_inactive_account_says_inactive_and_whom_to_contact(
    client, make_user, admin_user, organisation
):
    organisation.contact = "Jo Smith, training@acme.example"
    organisation.save()
    learner = make_user()
    services.user_deactivate(learner, by=admin_user, reason="Left")
    page = sign_in(client, learner.username, PASSWORD).content.decode()
    assert INACTIVE in page and "Jo Smith, training@acme.example" in page
    assert "_auth_user_id" not in client.session


def test_bulk_deactivation_keeps_the_message_too(client, make_user, admin_user):
    learner = make_user()
    services.users_deactivate(User.objects.filter(pk=learner.pk), by=admin_user, reason="t")
    page = sign_in(client, learner.username, PASSWORD).content.decode()
    assert INACTIVE in page and "your training administrator" in page


def test_a_wrong_password_never_reveals_the_status(client, make_user, admin_user):
    inactive, active = make_user(), make_user()
    services.user_deactivate(inactive, by=admin_user, reason="Left")
    for person in (inactive, active):
        page = sign_in(client, person.username, "wrong-password").content.decode()
        assert INACTIVE not in page
        assert "Please enter a correct username and password" in page
    assert INACTIVE not in sign_in(client, "nobody", "wrong-password").content.decode()


def test_after_reactivation_the_old_password_says_nothing_about_status(
    client, make_user, admin_user
):
    learner = make_user(email="")
    services.user_deactivate(learner, by=admin_user, reason="Left")
    services.user_reactivate(learner, by=admin_user, reason="Back")
    page = sign_in(client, learner.username, PASSWORD).content.decode()
    assert INACTIVE not in page
    assert User.objects.get(pk=learner.pk).password_while_inactive == ""


def test_forgot_password_mails_active_people_through_the_queue_and_reveals_nothing(
    client, make_user, admin_user, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    active, inactive = make_user(), make_user()
    services.user_deactivate(inactive, by=admin_user, reason="Left")
    mail.outbox.clear()
    answers = []
    for address in (active.email, inactive.email, "nobody@example.com"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("password_reset"), {"email": address}, follow=True)
        answers.append(response.content.decode())
    assert answers[0] == answers[1] == answers[2]
    assert [m.to for m in mail.outbox] == [[active.email]]
    link = next(line for line in mail.outbox[0].body.splitlines() if "/account/reset/" in line)
    path = link.split("://", 1)[1].split("/", 1)[1]
    form = client.get("/" + path, follow=True)
    assert b"Save my new password" in form.content


def test_the_sign_in_page_links_to_forgot_password(client):
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()


def test_signing_out_by_a_link_works(client, make_user):
    learner = make_user()
    client.force_login(learner)
    page = client.get(reverse("logout"))
    assert page.status_code == 200 and b"Sign out" in page.content
    assert "_auth_user_id" in client.session
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_forced_change_after_a_temporary_password_then_my_learning(client, make_user, admin_user):
    learner = make_user(email="")
    services.user_deactivate(learner, by=admin_user, reason="Left")
    credentials = services.user_reactivate(learner, by=admin_user, reason="Back")
    assert sign_in(client, learner.username, credentials.temporary_password).status_code == 302
    response = client.get(reverse("learner:home"))
    assert response["Location"].startswith(reverse("choose_password"))
    new = "a-brand-new-passphrase-42"
    response = client.post(response["Location"], {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert client.get(reverse("learner:home")).status_code == 200
