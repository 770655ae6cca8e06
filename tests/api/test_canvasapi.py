"""The real `canvasapi` client from PyPI, unchanged, against a live server: the proof that
scripts written for Canvas (seed 001) work here."""

import importlib

import pytest
from canvasapi import Canvas
from canvasapi.exceptions import BadRequest, InvalidAccessToken, ResourceDoesNotExist

from enrollments.models import Enrollment
from tests.api.conftest import client_for
from users.models import User

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def roles(transactional_db):
    """A transactional test flushes every table, so the role groups of the data migration
    go; put them back before the fixtures that give people roles."""
    from django.contrib.auth.models import Group, Permission

    grants = importlib.import_module("users.migrations.0002_roles").ROLES
    for role, apps in grants.items():
        group, _ = Group.objects.get_or_create(name=role)
        codenames = [
            f"{action}_{model}"
            for models in apps.values()
            for model, actions in models.items()
            for action in actions
        ]
        group.permissions.set(
            Permission.objects.filter(
                content_type__app_label__in=list(apps), codename__in=codenames
            )
        )


@pytest.fixture
def canvas(live_server, roles, admin_user):
    secret = client_for(admin_user).secret
    return Canvas(live_server.url, secret)


@pytest.fixture
def course_with_learners(course, make_user, enrol):
    states = ["active", "inactive", "completed"] * 9  # 27 enrolments, 18 active or inactive
    for number, state in enumerate(states):
        enrol(make_user(sis_user_id=f"S-{number:02d}"), course, state)
    return course


def test_get_user_and_course_by_sis_id(canvas, course, make_user):
    make_user(username="jdoe", sis_user_id="S-77", first_name="Jane", last_name="Doe")
    user = canvas.get_user("S-77", "sis_user_id")
    assert (user.name, user.login_id, user.sis_user_id) == ("Jane Doe", "jdoe", "S-77")
    assert canvas.get_user("jdoe", "sis_login_id").id == user.id
    fetched = canvas.get_course("SIS-SAFE101", use_sis_id=True)
    assert (fetched.id, fetched.course_code) == (course.pk, "SAFE101")
    with pytest.raises(ResourceDoesNotExist):
        canvas.get_user("nobody", "sis_user_id")


def test_lists_enrollments_in_several_states_across_pages(canvas, course_with_learners):
    course = canvas.get_course(course_with_learners.pk)
    listed = list(course.get_enrollments(state=["active", "inactive"], per_page=5))
    assert len(listed) == 18
    assert len({enrollment.id for enrollment in listed}) == 18
    assert {enrollment.enrollment_state for enrollment in listed} == {"active", "inactive"}
    assert len(list(course.get_enrollments(state=["all"], per_page=100))) == 27


def test_enrol_by_sis_id_into_section_then_inactivate_and_reactivate(canvas, course, make_user):
    make_user(sis_user_id="S-42")
    course_obj = canvas.get_course("SIS-SAFE101", use_sis_id=True)
    created = course_obj.create_course_section(
        course_section={"name": "Evening group", "sis_section_id": "SEC-EVE"}
    )
    section = canvas.get_section("SEC-EVE", use_sis_id=True)
    assert section.id == created.id
    user = canvas.get_user("S-42", "sis_user_id")
    enrollment = section.enroll_user(
        user, enrollment={"type": "StudentEnrollment", "enrollment_state": "active"}
    )
    assert (enrollment.course_section_id, enrollment.enrollment_state) == (section.id, "active")
    assert enrollment.sis_user_id == "S-42"

    inactive = enrollment.deactivate("inactivate")
    assert (inactive.enrollment_state, inactive.course_section_id) == ("inactive", section.id)
    active = inactive.reactivate()
    assert (active.enrollment_state, active.course_section_id) == ("active", section.id)
    stored = Enrollment.objects.get(pk=enrollment.id)
    assert (stored.state, stored.section_id, stored.source) == ("active", section.id, "api")
    with pytest.raises(BadRequest):
        active.reactivate()


def test_suspend_and_unsuspend_leave_enrollments_alone(canvas, course, make_user, enrol):
    learner = make_user(sis_user_id="S-5")
    done = enrol(learner, course, "completed")
    user = canvas.get_user("S-5", "sis_user_id")
    suspended = user.edit(user={"event": "suspend"})
    assert suspended.workflow_state == "suspended"
    assert User.objects.get(pk=learner.pk).status == "inactive"
    assert Enrollment.objects.get(pk=done.pk).state == "completed"
    unsuspended = user.edit(user={"event": "unsuspend"})
    assert unsuspended.workflow_state == "active"
    assert User.objects.get(pk=learner.pk).status == "active"
    assert Enrollment.objects.get(pk=done.pk).state == "completed"
    history = User.history.filter(id=learner.pk).order_by("-history_id")[:2]
    assert [row.history_change_reason for row in history] == [
        "API: PUT /api/v1/users/:user_id (unsuspend)",
        "API: PUT /api/v1/users/:user_id (suspend)",
    ]


def test_creates_a_user_and_a_course(canvas, organisation):
    account = canvas.get_account("ACME", use_sis_id=True)
    user = account.create_user(
        pseudonym={"unique_id": "new.person", "sis_user_id": "S-NEW"},
        user={"name": "New Person"},
        communication_channel={"type": "email", "address": "new@example.com"},
    )
    stored = User.objects.get(pk=user.id)
    assert (stored.username, stored.sis_user_id, stored.email) == (
        "new.person",
        "S-NEW",
        "new@example.com",
    )
    assert (stored.first_name, stored.last_name, stored.organisation) == (
        "New",
        "Person",
        organisation,
    )
    course = account.create_course(
        course={"name": "Fire safety", "course_code": "FIRE1", "sis_course_id": "SIS-FIRE"}
    )
    assert canvas.get_course("SIS-FIRE", use_sis_id=True).id == course.id
    assert [c.course_code for c in account.get_courses()] == ["FIRE1"]


def test_a_bad_token_is_refused(live_server):
    with pytest.raises(InvalidAccessToken):
        Canvas(live_server.url, "lms_not-a-token").get_user("self")
