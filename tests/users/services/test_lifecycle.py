from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from enrollments.models import Enrollment, EnrollmentState
from lms_admin.plumbing.errors import DomainError
from tests.conftest import PASSWORD
from users import services
from users.models import User, UserSession, UserStatus

pytestmark = pytest.mark.django_db


def states_of(user):
    return dict(Enrollment.objects.filter(user=user).values_list("id", "state"))


def history_of(user):
    return list(User.history.filter(id=user.pk).order_by("history_date", "history_id"))


def signed_in_client(client, user, password=PASSWORD):
    assert client.login(username=user.username, password=password)
    return client


# Deactivation ---------------------------------------------------------------------------


def test_deactivate_keeps_every_enrollment_state(make_user, enrolled_in_every_state, admin_user):
    learner = make_user()
    enrolled_in_every_state(learner)
    before = states_of(learner)
    assert set(before.values()) == set(EnrollmentState.values)
    enrollment_history = Enrollment.history.count()

    services.user_deactivate(learner, by=admin_user, reason="Left the company")

    learner.refresh_from_db()
    assert learner.status == UserStatus.INACTIVE
    assert learner.status_changed_at is not None
    assert states_of(learner) == before
    assert Enrollment.history.count() == enrollment_history
    assert not Enrollment.objects.filter(user=learner).with_access().exists()


def test_deactivate_ends_open_sessions_and_blocks_sign_in(client, make_user, admin_user):
    learner = make_user(is_staff=True)
    signed_in_client(client, learner)
    assert UserSession.objects.filter(user=learner).count() == 1
    assert client.get("/admin/").status_code == 200

    services.user_deactivate(learner, by=admin_user, reason="Left the company")

    assert UserSession.objects.filter(user=learner).count() == 0
    response = client.get("/admin/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert authenticate(username=learner.username, password=PASSWORD) is None
    assert not client.login(username=learner.username, password=PASSWORD)


def test_deactivate_writes_one_history_row_with_actor_and_reason(make_user, admin_user):
    learner = make_user()
    before = len(history_of(learner))

    services.user_deactivate(learner, by=admin_user, reason="Deactivated: left the company")
    services.user_deactivate(learner, by=admin_user, reason="Twice is a no-op")

    rows = history_of(learner)
    assert len(rows) == before + 1
    assert rows[-1].status == UserStatus.INACTIVE
    assert rows[-1].history_user == admin_user
    assert rows[-1].history_change_reason == "Deactivated: left the company"


def test_last_training_admin_cannot_be_deactivated(admin_user):
    with pytest.raises(DomainError, match="last active training admin"):
        services.user_deactivate(admin_user, by=admin_user, reason="Oops")
    admin_user.refresh_from_db()
    assert admin_user.status == UserStatus.ACTIVE


def test_a_training_admin_can_go_when_another_remains(admin_user, make_user):
    other = make_user(groups=["Training admin"])
    services.user_deactivate(other, by=admin_user, reason="Moved on")
    assert User.objects.get(pk=other.pk).status == UserStatus.INACTIVE


# Reactivation ---------------------------------------------------------------------------


def test_reactivate_with_email_sends_reset_link_after_commit(
    make_user, admin_user, enrolled_in_every_state, django_capture_on_commit_callbacks
):
    learner = make_user(email="jo.smith@example.com")
    enrolled_in_every_state(learner)
    before = states_of(learner)
    services.user_deactivate(learner, by=admin_user, reason="Leave")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        credentials = services.user_reactivate(learner, by=admin_user, reason="Back from leave")
        assert mail.outbox == []
    for callback in callbacks:
        callback()

    assert credentials.reset_link_sent_to == "jo.smith@example.com"
    assert credentials.masked_email == "j…@e…"
    assert credentials.temporary_password == ""
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["jo.smith@example.com"]
    assert "/account/reset/" in mail.outbox[0].body
    learner.refresh_from_db()
    assert learner.status == UserStatus.ACTIVE
    assert states_of(learner) == before
    # The old password stays void: only the link gives access.
    assert authenticate(username=learner.username, password=PASSWORD) is None


def test_reset_link_sets_a_new_password_with_history(
    client, make_user, admin_user, django_capture_on_commit_callbacks
):
    learner = make_user(email="kim@example.com")
    services.user_deactivate(learner, by=admin_user, reason="Leave")
    with django_capture_on_commit_callbacks(execute=True):
        services.user_reactivate(learner, by=admin_user, reason="Back")
    link = next(line for line in mail.outbox[-1].body.splitlines() if "/account/reset/" in line)
    path = link.split("8000", 1)[1] if "8000" in link else link
    response = client.get(path, follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else path
    response = client.post(
        form_url, {"new_password1": "a-fresh-passphrase-9", "new_password2": "a-fresh-passphrase-9"}
    )
    assert response.status_code == 302
    assert authenticate(username=learner.username, password="a-fresh-passphrase-9") is not None
    assert history_of(learner)[-1].history_change_reason == (
        "Chose a new password from the reset link"
    )


def test_reactivate_without_email_gives_a_temporary_password_that_works_once(
    client, make_user, admin_user
):
    learner = make_user(email="", is_staff=True)
    services.user_deactivate(learner, by=admin_user, reason="Suspended")

    credentials = services.user_reactivate(learner, by=admin_user, reason="Returned")

    assert credentials.reset_link_sent_to == ""
    assert len(credentials.temporary_password) == 12
    expected = timezone.now() + timedelta(hours=72)
    assert abs((credentials.expires_at - expected).total_seconds()) < 60
    assert client.login(username=learner.username, password=credentials.temporary_password)
    # Any page sends them to choose a new password first.
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/choose-password/")
    # The temporary password is spent.
    assert authenticate(username=learner.username, password=credentials.temporary_password) is None
    response = client.post(
        "/account/choose-password/",
        {"new_password1": "my-own-passphrase-42", "new_password2": "my-own-passphrase-42"},
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    learner.refresh_from_db()
    assert not learner.must_change_password
    assert authenticate(username=learner.username, password="my-own-passphrase-42") is not None


def test_temporary_password_expires(make_user, admin_user):
    learner = make_user(email="")
    services.user_deactivate(learner, by=admin_user, reason="Suspended")
    credentials = services.user_reactivate(learner, by=admin_user, reason="Returned")
    User.objects.filter(pk=learner.pk).update(
        temporary_password_expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert authenticate(username=learner.username, password=credentials.temporary_password) is None


def test_reactivating_a_deleted_user_is_refused(make_user, admin_user):
    learner = make_user()
    services.user_delete(learner, by=admin_user, reason="Duplicate")
    with pytest.raises(DomainError, match="deleted"):
        services.user_reactivate(learner, by=admin_user, reason="Try")
    assert User.objects.get(pk=learner.pk).status == UserStatus.DELETED


def test_anonymised_user_cannot_be_changed(make_user, admin_user):
    learner = make_user()
    User.objects.filter(pk=learner.pk).update(anonymised_at=timezone.now())
    learner.refresh_from_db()
    count = User.history.filter(id=learner.pk).count()
    for action in (services.user_deactivate, services.user_delete, services.user_undelete):
        with pytest.raises(DomainError, match="anonymised"):
            action(learner, by=admin_user, reason="Try")
    assert User.history.filter(id=learner.pk).count() == count
    assert User.objects.get(pk=learner.pk).status == UserStatus.ACTIVE


# Delete and undelete --------------------------------------------------------------------


def test_delete_then_undelete_restores_every_enrollment_exactly(
    make_user, admin_user, enrolled_in_every_state
):
    learner = make_user()
    enrollments = enrolled_in_every_state(learner)
    services.user_deactivate(learner, by=admin_user, reason="Left")
    before = states_of(learner)

    services.user_delete(learner, by=admin_user, reason="Erasure request withdrawn later")

    learner.refresh_from_db()
    assert learner.status == UserStatus.DELETED
    assert learner.status_before_delete == UserStatus.INACTIVE
    rows = {e.id: e for e in Enrollment.objects.filter(user=learner)}
    assert {e.state for e in rows.values()} == {EnrollmentState.DELETED}
    for enrollment_id, state in before.items():
        if state != EnrollmentState.DELETED:
            assert rows[enrollment_id].state_before_delete == state

    services.user_undelete(learner, by=admin_user, reason="Restored")

    learner.refresh_from_db()
    assert learner.status == UserStatus.INACTIVE
    assert states_of(learner) == before
    assert Enrollment.objects.get(pk=enrollments["deleted"].pk).state == EnrollmentState.DELETED


def test_delete_and_undelete_write_one_history_row_per_changed_object(
    make_user, admin_user, enrolled_in_every_state
):
    learner = make_user()
    enrolled_in_every_state(learner)
    users_before = User.history.filter(id=learner.pk).count()
    enrollments_before = Enrollment.history.filter(user_id=learner.pk).count()

    services.user_delete(learner, by=admin_user, reason="Duplicate account")

    assert User.history.filter(id=learner.pk).count() == users_before + 1
    # Four live enrolments changed; the one already deleted did not.
    new_rows = Enrollment.history.filter(user_id=learner.pk).order_by("-history_id")[:4]
    assert Enrollment.history.filter(user_id=learner.pk).count() == enrollments_before + 4
    assert {row.history_change_reason for row in new_rows} == {"Duplicate account"}
    assert {row.history_user_id for row in new_rows} == {admin_user.pk}

    services.user_undelete(learner, by=admin_user, reason="Not a duplicate")
    assert User.history.filter(id=learner.pk).count() == users_before + 2
    assert Enrollment.history.filter(user_id=learner.pk).count() == enrollments_before + 8


def test_undelete_of_an_active_user_hands_out_credentials(make_user, admin_user):
    learner = make_user(email="")
    services.user_delete(learner, by=admin_user, reason="Mistake")
    credentials = services.user_undelete(learner, by=admin_user, reason="Undo")
    assert User.objects.get(pk=learner.pk).status == UserStatus.ACTIVE
    assert credentials.temporary_password
    assert authenticate(username=learner.username, password=credentials.temporary_password)


def test_cannot_delete_yourself(admin_user, make_user):
    make_user(groups=["Training admin"])
    with pytest.raises(DomainError, match="your own account"):
        services.user_delete(admin_user, by=admin_user, reason="Oops")


# Bulk forms -----------------------------------------------------------------------------


def test_bulk_deactivate_and_reactivate(make_user, admin_user, enrolled_in_every_state):
    learners = [make_user(email="" if n % 2 else f"bulk{n}@example.com") for n in range(6)]
    enrolled_in_every_state(learners[0])
    before = states_of(learners[0])
    selection = User.objects.filter(pk__in=[u.pk for u in learners])
    services.user_deactivate(learners[5], by=admin_user, reason="Earlier")

    outcome = services.users_deactivate(selection, by=admin_user, reason="Season over")

    assert (outcome.changed, outcome.skipped) == (5, 1)
    assert set(selection.values_list("status", flat=True)) == {UserStatus.INACTIVE}
    assert states_of(learners[0]) == before
    for learner in learners[:5]:
        last = history_of(learner)[-1]
        assert (last.status, last.history_change_reason, last.history_user_id) == (
            UserStatus.INACTIVE,
            "Season over",
            admin_user.pk,
        )

    outcome = services.users_reactivate(selection, by=admin_user, reason="Season starts")

    assert outcome.changed == 6
    assert set(selection.values_list("status", flat=True)) == {UserStatus.ACTIVE}
    assert len([c for c in outcome.credentials if c.temporary_password]) == 3
    assert len([c for c in outcome.credentials if c.reset_link_sent_to]) == 3
    temporary = next(c for c in outcome.credentials if c.temporary_password)
    assert authenticate(username=temporary.user.username, password=temporary.temporary_password)
    assert states_of(learners[0]) == before


def test_bulk_delete_and_undelete_restore_enrollments(
    make_user, admin_user, enrolled_in_every_state
):
    learners = [make_user() for _ in range(3)]
    for learner in learners:
        enrolled_in_every_state(learner)
    services.user_deactivate(learners[2], by=admin_user, reason="Left")
    before = {learner.pk: states_of(learner) for learner in learners}
    selection = User.objects.filter(pk__in=[u.pk for u in learners])

    assert services.users_delete(selection, by=admin_user, reason="Cleanup").changed == 3
    assert not Enrollment.objects.filter(user__in=selection).exclude(state="deleted").exists()
    assert services.users_undelete(selection, by=admin_user, reason="Undo").changed == 3

    assert {learner.pk: states_of(learner) for learner in learners} == before
    assert User.objects.get(pk=learners[2].pk).status == UserStatus.INACTIVE
    assert User.objects.get(pk=learners[0].pk).status == UserStatus.ACTIVE


def test_bulk_refuses_to_remove_every_training_admin(admin_user):
    with pytest.raises(DomainError, match="last active training admin"):
        services.users_deactivate(User.objects.all(), by=admin_user, reason="All")
    assert User.objects.get(pk=admin_user.pk).status == UserStatus.ACTIVE


def _queries(action, users, admin_user):
    with CaptureQueriesContext(connection) as context:
        action(users, by=admin_user, reason="Count queries")
    return len(context.captured_queries)


@pytest.mark.parametrize(
    "action", [services.users_deactivate, services.users_delete], ids=["deactivate", "delete"]
)
def test_bulk_query_count_does_not_grow_with_rows(action, make_user, admin_user):
    few = User.objects.filter(pk__in=[make_user().pk for _ in range(2)])
    many = User.objects.filter(pk__in=[make_user().pk for _ in range(20)])
    assert _queries(action, few, admin_user) == _queries(action, many, admin_user)


# Bulk deactivation (one statement per batch on PostgreSQL) ----------------------------


def test_bulk_deactivation_writes_one_history_row_each_and_ends_sessions(
    client, make_user, admin_user
):
    people = [make_user(is_staff=True) for _ in range(4)]
    signed_in_client(client, people[0])
    services.user_deactivate(people[3], by=admin_user, reason="Earlier")
    history_before = User.history.count()

    outcome = services.users_deactivate(
        User.objects.filter(pk__in=[p.pk for p in people]), by=admin_user, reason="Contract ended"
    )

    assert (outcome.changed, outcome.skipped) == (3, 1)
    assert set(
        User.objects.filter(pk__in=[p.pk for p in people]).values_list("status", flat=True)
    ) == {UserStatus.INACTIVE}
    rows = User.history.filter(history_date__isnull=False).order_by("-history_id")[:3]
    assert User.history.count() == history_before + 3
    assert {
        (row.id, row.status, row.history_user_id, row.history_change_reason) for row in rows
    } == {(p.pk, UserStatus.INACTIVE, admin_user.pk, "Contract ended") for p in people[:3]}
    assert not UserSession.objects.filter(user__in=people).exists()
    assert authenticate(username=people[1].username, password=PASSWORD) is None


def test_bulk_deactivation_that_would_remove_the_last_admin_changes_nobody(admin_user, make_user):
    learner = make_user()
    history_before = User.history.count()
    with pytest.raises(DomainError, match="last active training admin"):
        services.users_deactivate(
            User.objects.filter(pk__in=[learner.pk, admin_user.pk]), by=admin_user, reason="x"
        )
    assert User.objects.get(pk=learner.pk).status == UserStatus.ACTIVE
    assert User.objects.get(pk=admin_user.pk).status == UserStatus.ACTIVE
    assert User.history.count() == history_before
