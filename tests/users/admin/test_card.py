"""The user card: roles through the services (review finding 2), stale edits and reverts
(finding 3), and what the card shows (segments, certificates, deleted people)."""

import pytest
from django.urls import reverse

from enrollments import services as enrollment_services
from lms_admin.plumbing.errors import DomainError
from lms_admin.plumbing.scoping import MANAGER, TRAINING_ADMIN
from tests.conftest import PASSWORD
from users import services
from users.models import User, UserStatus

pytestmark = pytest.mark.django_db


def sign_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def card_url(user):
    return reverse("admin:users_user_change", args=[user.pk])


def card_data(client, user, **overrides):
    """What the card's form posts, as loaded now, with some fields changed."""
    response = client.get(card_url(user))
    form = response.context["adminform"].form
    data = {
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "sis_user_id": user.sis_user_id or "",
        "organisation": user.organisation_id or "",
        "expected_version": response.context["version"],
        "segment_memberships-TOTAL_FORMS": "0",
        "segment_memberships-INITIAL_FORMS": "0",
    }
    if "is_staff" in form.fields:
        if user.is_staff:
            data["is_staff"] = "on"
        if user.is_superuser:
            data["is_superuser"] = "on"
        data["groups"] = list(user.groups.values_list("pk", flat=True))
    for name, value in overrides.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


# Finding 2: roles and admin access go through a service ------------------------------------


def test_roles_changed_on_the_card_write_one_history_row(client, admin_user, make_user, groups):
    learner = make_user()
    sign_in(client, admin_user)
    assert 'name="reason" id="id_change_reason"' in client.get(card_url(learner)).content.decode()
    before = learner.history.count()
    data = card_data(
        client, learner, is_staff="on", groups=[groups[MANAGER].pk], reason="Runs reports"
    )
    response = client.post(card_url(learner), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    learner.refresh_from_db()
    assert learner.is_staff
    assert list(learner.groups.values_list("name", flat=True)) == [MANAGER]
    assert learner.history.count() == before + 1
    last = learner.history.first()
    assert last.history_user == admin_user
    assert last.history_change_reason == "Runs reports (roles: none → Manager)"


def test_the_card_refuses_to_remove_the_last_training_admin(client, admin_user, groups):
    sign_in(client, admin_user)
    before = admin_user.history.count()
    data = card_data(client, admin_user, groups=[groups[MANAGER].pk])
    response = client.post(card_url(admin_user), data, follow=True)
    assert "is the last active training admin" in response.content.decode()
    assert list(admin_user.groups.values_list("name", flat=True)) == [TRAINING_ADMIN]
    assert admin_user.history.count() == before
    # Taking away staff access would lock them out just the same.
    response = client.post(card_url(admin_user), card_data(client, admin_user, is_staff=None))
    assert User.objects.get(pk=admin_user.pk).is_staff


def test_set_roles_service(admin_user, make_user):
    other = make_user()
    services.user_set_roles(
        other, groups=[TRAINING_ADMIN], is_staff=True, by=admin_user, reason="Cover"
    )
    other.refresh_from_db()
    assert other.is_staff and other.groups.filter(name=TRAINING_ADMIN).exists()
    assert other.history.first().history_change_reason == "Cover (roles: none → Training admin)"
    # With a second training admin, the first may step down.
    services.user_set_roles(admin_user, groups=[], by=other, reason="Stepping down")
    assert not admin_user.groups.exists()
    with pytest.raises(DomainError, match="last active training admin"):
        services.user_set_roles(other, groups=[MANAGER], by=other, reason="Oops")
    with pytest.raises(DomainError, match="no role called"):
        services.user_set_roles(other, groups=["Wizard"], by=other, reason="t")
    # Nothing to change, nothing written.
    count = other.history.count()
    services.user_set_roles(other, groups=[TRAINING_ADMIN], by=other, reason="t")
    assert other.history.count() == count


# Finding 3: a stale card, and a revert of something that changed again ------------------


def test_a_stale_card_is_not_saved(client, admin_user, make_user):
    learner = make_user(first_name="Lee", email="lee@example.com")
    sign_in(client, admin_user)
    data = card_data(client, learner, email="typed@example.com")
    # Meanwhile another admin changes a different field.
    services.user_update(learner, first_name="Leigh", by=admin_user, reason="Spelling")
    response = client.post(card_url(learner), data, follow=True)
    page = response.content.decode()
    assert "while you were editing. Nothing was saved" in page
    assert "(Spelling)" in page
    learner.refresh_from_db()
    assert (learner.first_name, learner.email) == ("Leigh", "lee@example.com")
    # Reloaded, the card saves.
    response = client.post(card_url(learner), card_data(client, learner, email="new@example.com"))
    assert response.status_code == 302
    assert User.objects.get(pk=learner.pk).email == "new@example.com"


def test_a_stale_card_after_a_status_change_is_not_saved(client, admin_user, make_user):
    learner = make_user()
    sign_in(client, admin_user)
    data = card_data(client, learner, last_name="Edited")
    services.users_deactivate(User.objects.filter(pk=learner.pk), by=admin_user, reason="t")
    client.post(card_url(learner), data)
    assert User.objects.get(pk=learner.pk).last_name != "Edited"


def test_revert_refuses_when_the_field_changed_again(client, admin_user, make_user):
    learner = make_user(email="first@example.com")
    services.user_update(learner, email="second@example.com", by=admin_user, reason="A")
    first_change = learner.history.first()
    services.user_update(learner, email="third@example.com", by=admin_user, reason="B")
    with pytest.raises(DomainError, match="changed again since then"):
        services.user_revert_change(learner, first_change.history_id, by=admin_user, reason="t")
    sign_in(client, admin_user)
    response = client.post(
        reverse("admin:users_user_revert", args=[learner.pk, first_change.history_id]),
        follow=True,
    )
    assert "changed again since then" in response.content.decode()
    assert User.objects.get(pk=learner.pk).email == "third@example.com"
    # A later change to another field does not stand in the way.
    services.user_update(learner, first_name="Other", by=admin_user, reason="C")
    latest_email_change = learner.history.all()[1]
    services.user_revert_change(
        learner, latest_email_change.history_id, by=admin_user, reason="Undo B"
    )
    learner.refresh_from_db()
    assert (learner.email, learner.first_name) == ("second@example.com", "Other")


# What the card shows ---------------------------------------------------------------------


def test_card_shows_segments_certificates_and_works_for_a_deleted_user(
    client, admin_user, make_user, organisation, course
):
    learner = make_user()
    segment = services.segment_create(
        name="Night shift", organisation=organisation, by=None, reason="t"
    )
    services.segment_add_members(segment, User.objects.filter(pk=learner.pk), by=None, reason="t")
    enrollment = enrollment_services.enrollment_create(
        user=learner, course=course, by=admin_user, reason="t"
    )
    enrollment_services.enrollment_set_state(enrollment, "completed", by=admin_user, reason="t")
    certificate = enrollment_services.certificate_issue(enrollment, by=admin_user, reason="t")
    services.user_delete(learner, by=admin_user, reason="Duplicate account")
    sign_in(client, admin_user)

    response = client.get(card_url(learner))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<span class="status-badge status-deleted">Deleted</span>' in page
    assert '<span class="segment-chip">Night shift</span>' in page
    assert "(still a member while deleted)" in page
    certificate_url = reverse("admin:enrollments_certificate_change", args=[certificate.pk])
    assert f'<a href="{certificate_url}">{certificate.verification_code}</a>' in page
    assert "(was completed)" in page
    assert "Duplicate account" in page
    assert reverse("admin:users_user_undelete", args=[learner.pk]) in page
    assert learner.status == UserStatus.DELETED
