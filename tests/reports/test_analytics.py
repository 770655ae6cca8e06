from enrollments import services as enrollment_services
from enrollments.models import EnrollmentState
from reports.models import SignInEvent
from tests.reports.helpers import table_rows
from users import services

URL = "/admin/reports/analytics/"


def figure(rows, section, item):
    for row in rows:
        if row[0] == section and row[1] == item:
            return row[2]
    return None


def test_analytics_leaves_out_inactive_and_deleted_users(
    admin_client, admin_user, make_user, course
):
    stayer, leaver, gone = make_user(), make_user(), make_user()
    for person in (stayer, leaver, gone):
        enrollment_services.enrollment_create(user=person, course=course, by=admin_user, reason="t")
    services.user_deactivate(leaver, by=admin_user, reason="Left")
    services.user_delete(gone, by=admin_user, reason="Duplicate")

    response = admin_client.get(URL)

    assert response.status_code == 200
    rows = table_rows(response.content, "figure-rows")
    # The admin and the stayer are the active people; the leaver and the deleted are not.
    assert figure(rows, "Active users", "All active users") == "2"
    assert figure(rows, "Active users by organisation", "Acme Training") == "2"
    assert figure(rows, "Enrolments by state", "Active") == "1"
    assert figure(rows, "Enrolments by state", "Deleted") == "0"
    assert figure(rows, "Completions by course", "SAFE101: Safety basics") == "0"
    assert b"<svg" in response.content and b"<title" in response.content


def test_completions_rate_segments_sign_ins_and_new_users(
    admin_client, admin_user, make_user, course, organisation
):
    learners = [make_user() for _ in range(4)]
    enrollments = [
        enrollment_services.enrollment_create(user=p, course=course, by=admin_user, reason="t")
        for p in learners
    ]
    for enrollment in enrollments[:3]:
        enrollment_services.enrollment_set_state(
            enrollment, EnrollmentState.COMPLETED, by=admin_user, reason="Done"
        )
    segment = services.segment_create(
        name="Night shift", organisation=organisation, by=admin_user, reason="t"
    )
    services.segment_add_members(
        segment,
        type(learners[0]).objects.filter(pk__in=[p.pk for p in learners[:2]]),
        by=admin_user,
        reason="t",
    )
    services.user_deactivate(learners[0], by=admin_user, reason="Left")
    SignInEvent.objects.create(user=learners[1])
    SignInEvent.objects.create(user=learners[0])  # inactive now: not counted

    rows = table_rows(admin_client.get(URL).content, "figure-rows")

    course_row = [r for r in rows if r[0] == "Completions by course"][0]
    # Three active learners remain; two of their enrolments are completed.
    assert course_row[2:] == ["2", "3", "66.7"]
    assert figure(rows, "Active users by segment", "Night shift") == "1"
    sign_ins = sum(int(r[2]) for r in rows if r[0] == "Sign-ins per day")
    assert sign_ins == 2  # the admin's own sign-in by the test client, and learners[1]
    new_users = sum(int(r[2]) for r in rows if r[0] == "New users per month")
    assert new_users == 4  # the admin and the three active learners


def test_filters_narrow_by_organisation_segment_and_course(
    admin_client, admin_user, make_user, course, partner
):
    make_user(organisation=partner)
    make_user()
    response = admin_client.get(URL, {"organisation": partner.pk})
    rows = table_rows(response.content, "figure-rows")
    assert figure(rows, "Active users", "All active users") == "1"
    response = admin_client.get(URL, {"course": course.pk})
    assert response.status_code == 200
