"""An import applies exactly its preview, all of it, or nothing at all."""

from datetime import timedelta

import pytest
from django.utils import timezone

from enrollments import services as enrollment_services
from enrollments.models import Enrollment, EnrollmentState
from imports import engine
from imports.kinds import KINDS
from imports.models import ImportJob
from imports.services import import_job_confirm, import_job_restart, stalled
from imports.tasks import apply_import
from lms_admin.plumbing.errors import DomainError
from users import services
from users.models import User, UserStatus

from .helpers import (
    ENROLLMENTS_CANVAS,
    USERS_CANVAS,
    confirm,
    counts,
    csv_bytes,
    import_file,
    world,
)

pytestmark = pytest.mark.django_db

MEMBERSHIPS = ["segment", "segment_organisation", "user_sis_id", "username", "status"]


class Boom(RuntimeError):
    pass


def explode(*args, **kwargs):
    raise Boom("the disk caught fire")


@pytest.fixture
def people_file(make_user):
    """A file that creates one person, renames another and deactivates a third."""
    renamed = make_user(sis_user_id="AON-1")
    leaving = make_user(sis_user_id="AON-2")
    return csv_bytes(
        USERS_CANVAS,
        ["AON-0", "arriving", "Ari", "Ving", "ari@example.com", "active"],
        ["AON-1", renamed.username, "Renamed", "", "", "active"],
        ["AON-2", leaving.username, "", "", "", "Leave"],
    )


def checked(kind, content, by, **options):
    job = import_file(kind, content, by=by, **options)
    assert job.state == "checked" and not job.errors, (job.findings, job.failure)
    return job


def assert_failed_and_nothing_written(job, before, *, says):
    job.refresh_from_db()
    assert job.state == "failed"
    assert says in job.failure
    assert world() == before


# Failures while applying ------------------------------------------------------------------


def test_a_failure_after_people_are_created_writes_nothing(admin_user, people_file, monkeypatch):
    job = checked("users", people_file, admin_user)
    assert counts(job) == {"new": 1, "updated": 1, "status": 1}
    before = world()
    monkeypatch.setattr("users.services.import_plan._update_people", explode)

    job = confirm(job, by=admin_user)

    assert_failed_and_nothing_written(job, before, says="Nothing was changed")
    assert not User.objects.filter(username="arriving").exists()
    assert User.objects.get(sis_user_id="AON-2").status == UserStatus.ACTIVE


def test_a_failure_in_a_lifecycle_service_writes_nothing(admin_user, people_file, monkeypatch):
    job = checked("users", people_file, admin_user)
    before = world()

    def refuse(*args, **kwargs):
        raise DomainError("Deactivation is switched off today.")

    monkeypatch.setattr("users.services.import_plan.users_deactivate", refuse)

    job = confirm(job, by=admin_user)

    assert_failed_and_nothing_written(job, before, says="Deactivation is switched off today.")
    assert not User.objects.filter(username="arriving").exists()
    assert User.objects.get(sis_user_id="AON-1").first_name == "Lee"


def test_a_crash_in_a_later_batch_undoes_the_earlier_batches(admin_user, monkeypatch):
    kind = KINDS["users"]
    monkeypatch.setattr(kind, "batch_size", 2)
    content = csv_bytes(
        USERS_CANVAS,
        *[
            [f"B-{i}", f"batch{i}", "Bat", f"Ch{i}", f"b{i}@example.com", "active"]
            for i in range(5)
        ],
    )
    job = checked("users", content, admin_user)
    before = world()
    real_apply = type(kind).apply
    calls = []

    def apply_then_crash(self, context, plans):
        calls.append(len(plans))
        if len(calls) == 2:
            raise Boom("worker killed")
        return real_apply(self, context, plans)

    monkeypatch.setattr(type(kind), "apply", apply_then_crash)

    job = confirm(job, by=admin_user)

    assert calls == [2, 2]
    assert_failed_and_nothing_written(job, before, says="worker killed")
    assert not User.objects.filter(username__startswith="batch").exists()


def test_a_killed_worker_leaves_nothing_and_the_import_can_run_again(admin_user, monkeypatch):
    kind = KINDS["users"]
    monkeypatch.setattr(kind, "batch_size", 2)
    content = csv_bytes(
        USERS_CANVAS,
        *[
            [f"K-{i}", f"killed{i}", "Kil", f"Led{i}", f"k{i}@example.com", "active"]
            for i in range(5)
        ],
    )
    job = checked("users", content, admin_user)
    before = world()
    real_apply = type(kind).apply
    calls = []

    def apply_then_die(self, context, plans):
        calls.append(len(plans))
        if len(calls) == 2:
            raise SystemExit("SIGTERM")  # not an Exception: nothing in the engine catches it
        return real_apply(self, context, plans)

    monkeypatch.setattr(type(kind), "apply", apply_then_die)
    import_job_confirm(job, by=admin_user)  # its on-commit hand-over to a worker is not run
    with pytest.raises(SystemExit):
        engine.apply(ImportJob.objects.get(pk=job.pk))

    job.refresh_from_db()
    assert job.state == "applying"
    assert world() == before
    assert not User.objects.filter(username__startswith="killed").exists()

    # Later, the job is seen to have stalled and is started again.
    monkeypatch.setattr(type(kind), "apply", real_apply)
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    job.refresh_from_db()
    assert stalled(job)
    import_job_restart(job, by=admin_user)
    assert apply_import.call(job.pk) == "done"
    assert User.objects.filter(username__startswith="killed").count() == 5
    job.refresh_from_db()
    assert job.state == "done"


def test_an_applied_import_does_not_run_twice(admin_user, people_file):
    job = confirm(checked("users", people_file, admin_user), by=admin_user)
    assert job.state == "done"
    after = world()

    assert apply_import.call(job.pk) == "not waiting"
    with pytest.raises(DomainError):
        import_job_confirm(job, by=admin_user)
    job.refresh_from_db()
    assert job.state == "done"
    assert world() == after


def test_a_failure_while_enrolling_writes_nothing(admin_user, make_user, course, monkeypatch):
    make_user(sis_user_id="EN-1")
    moving = make_user(sis_user_id="EN-2")
    enrollment = enrollment_services.enrollment_create(
        user=moving, course=course, by=admin_user, reason="Test set-up"
    )
    content = csv_bytes(
        ENROLLMENTS_CANVAS,
        ["SIS-SAFE101", "EN-1", "student", "", "active"],
        ["SIS-SAFE101", "EN-2", "student", "", "completed"],
    )
    job = checked("enrollments", content, admin_user)
    assert counts(job) == {"new": 1, "status": 1}
    before = world()
    monkeypatch.setattr("enrollments.services.import_plan.enrollments_set_state", explode)

    job = confirm(job, by=admin_user)

    assert_failed_and_nothing_written(job, before, says="the disk caught fire")
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.ACTIVE


def test_a_failure_after_courses_are_created_writes_nothing(admin_user, course, monkeypatch):
    content = csv_bytes(
        ["course_id", "short_name", "long_name", "account_id", "status"],
        ["SIS-NEW", "NEW1", "New course", "", "active"],
        ["SIS-SAFE101", "SAFE101", "Renamed", "", "active"],
    )
    job = checked("courses", content, admin_user)
    before = world()
    monkeypatch.setattr("enrollments.services.import_plan._bulk_update", explode)

    job = confirm(job, by=admin_user)

    assert_failed_and_nothing_written(job, before, says="the disk caught fire")


def test_a_failure_while_removing_members_writes_nothing(
    admin_user, make_user, organisation, monkeypatch
):
    segment = services.segment_create(
        name="Crew", organisation=organisation, by=admin_user, reason="Test set-up"
    )
    joining, leaving = make_user(), make_user()
    services.segment_add_members(
        segment, User.objects.filter(pk=leaving.pk), by=admin_user, reason="Test set-up"
    )
    content = csv_bytes(
        MEMBERSHIPS,
        ["Crew", "ACME", "", joining.username, "active"],
        ["Crew", "ACME", "", leaving.username, "deleted"],
    )
    job = checked("memberships", content, admin_user)
    before = world()
    monkeypatch.setattr("users.services.import_plan.segment_remove_members", explode)

    job = confirm(job, by=admin_user)

    assert_failed_and_nothing_written(job, before, says="the disk caught fire")
    assert list(segment.members.all()) == [leaving]


# A stale preview ---------------------------------------------------------------------------


def test_someone_edited_a_person_after_the_preview(admin_user, people_file):
    job = checked("users", people_file, admin_user)
    renamed = User.objects.get(sis_user_id="AON-1")
    services.user_update(renamed, last_name="Edited", by=admin_user, reason="Meanwhile")
    before = world()

    job = confirm(job, by=admin_user)

    assert_failed_and_nothing_written(job, before, says="changed after the preview")
    renamed.refresh_from_db()
    assert (renamed.first_name, renamed.last_name) == ("Lee", "Edited")
    assert not User.objects.filter(username="arriving").exists()


def test_someone_deactivated_a_person_after_the_preview(admin_user, people_file):
    job = checked("users", people_file, admin_user)
    leaving = User.objects.get(sis_user_id="AON-2")
    services.user_deactivate(leaving, by=admin_user, reason="Meanwhile")
    before = world()

    job = confirm(job, by=admin_user)

    assert_failed_and_nothing_written(job, before, says="changed after the preview")


def test_someone_took_a_new_username_after_the_preview(admin_user, people_file, make_user):
    job = checked("users", people_file, admin_user)
    make_user(username="arriving")
    before = world()

    job = confirm(job, by=admin_user)

    assert_failed_and_nothing_written(job, before, says="changed after the preview")


def test_someone_changed_an_enrolment_after_the_preview(admin_user, make_user, course):
    learner = make_user(sis_user_id="ST-1")
    enrollment = enrollment_services.enrollment_create(
        user=learner, course=course, by=admin_user, reason="Test set-up"
    )
    content = csv_bytes(ENROLLMENTS_CANVAS, ["SIS-SAFE101", "ST-1", "student", "", "inactive"])
    job = checked("enrollments", content, admin_user)
    enrollment_services.enrollment_set_state(
        enrollment, EnrollmentState.COMPLETED, by=admin_user, reason="Meanwhile"
    )
    before = world()

    job = confirm(job, by=admin_user)

    assert_failed_and_nothing_written(job, before, says="changed after the preview")
    assert Enrollment.objects.get(pk=enrollment.pk).state == EnrollmentState.COMPLETED


def test_someone_renamed_a_course_after_the_preview(admin_user, course):
    content = csv_bytes(
        ["course_id", "short_name", "long_name", "account_id", "status"],
        ["SIS-SAFE101", "SAFE101", "From the file", "", "active"],
    )
    job = checked("courses", content, admin_user)
    type(course).objects.filter(pk=course.pk).update(name="Renamed meanwhile")
    before = world()

    job = confirm(job, by=admin_user)

    assert_failed_and_nothing_written(job, before, says="changed after the preview")
    course.refresh_from_db()
    assert course.name == "Renamed meanwhile"


def test_an_unrelated_change_does_not_spoil_the_preview(admin_user, people_file, make_user):
    job = checked("users", people_file, admin_user)
    bystander = make_user()
    services.user_update(bystander, first_name="Other", by=admin_user, reason="Meanwhile")

    job = confirm(job, by=admin_user)

    assert job.state == "done", job.failure
    assert User.objects.filter(username="arriving").exists()
