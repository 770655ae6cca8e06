"""A power user creating or editing someone cannot tell where a taken username or SIS user ID
is held: the admin's answer is the same, byte for byte, whether the holder is someone of
another organisation (whom they may not see) or of their own. Each test asks twice with the
same identifier, moving its holder between the two organisations in between.
"""

import re

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD
from users import services
from users.models import User

pytestmark = pytest.mark.django_db

ADD = reverse("admin:users_user_add")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


@pytest.fixture
def holder(make_user):
    """Kim, of Acme: outside the partner's power user's organisation."""
    return make_user(
        username="kim", sis_user_id="ACME-0042", first_name="Kim", last_name="Hiddenfield"
    )


def form_errors(response) -> list[str]:
    """Every error of the admin's form: the SIS user ID's (a conditional unique constraint)
    is the form's, not the field's."""
    return [
        error for errors in response.context["adminform"].form.errors.values() for error in errors
    ]


def page(response) -> str:
    return CSRF.sub("", response.content.decode())


def twice(holder, partner, ask):
    """`ask()` with the holder outside the asker's organisation, then inside it."""
    outside = ask()
    User.objects.filter(pk=holder.pk).update(organisation=partner)
    inside = ask()
    return outside, inside


@pytest.fixture
def power_client(client, power_user):
    assert client.login(username=power_user.username, password=PASSWORD)
    return client


def new_person(**overrides):
    data = {
        "username": "newcomer",
        "password1": "a-long-new-password-2026",
        "password2": "a-long-new-password-2026",
        "email": "",
        "first_name": "New",
        "last_name": "Comer",
        "sis_user_id": "",
    }
    return {**data, **overrides}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "kim", "This username is not available."),
        ("username", "KIM", "This username is not available."),
        ("sis_user_id", "ACME-0042", "This SIS user ID is not available."),
    ],
)
def test_adding_someone_with_a_taken_identifier(
    power_client, holder, partner, field, value, message
):
    data = new_person(organisation=partner.pk, **{field: value})

    outside, inside = twice(holder, partner, lambda: power_client.post(ADD, data))

    assert outside.status_code == inside.status_code == 200
    assert page(outside) == page(inside)
    assert form_errors(outside) == [message]
    assert "Hiddenfield" not in page(outside)
    assert not User.objects.filter(username="newcomer").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "kim", "This username is not available."),
        ("sis_user_id", "ACME-0042", "This SIS user ID is not available."),
    ],
)
def test_editing_someone_to_a_taken_identifier(
    power_client, holder, partner, admin_user, field, value, message
):
    pam = services.user_create(
        username="pam", first_name="Pam", organisation=partner, by=admin_user, reason="Set-up"
    )
    data = {
        "username": "pam",
        "email": "",
        "first_name": "Pam",
        "last_name": "",
        "sis_user_id": "",
        "organisation": partner.pk,
        "segment_memberships-TOTAL_FORMS": "0",
        "segment_memberships-INITIAL_FORMS": "0",
        field: value,
    }
    url = reverse("admin:users_user_change", args=[pam.pk])

    outside, inside = twice(holder, partner, lambda: power_client.post(url, data))

    assert outside.status_code == inside.status_code == 200
    assert page(outside) == page(inside)
    assert form_errors(outside) == [message]
    pam.refresh_from_db()
    assert (pam.username, pam.sis_user_id) == ("pam", None)
