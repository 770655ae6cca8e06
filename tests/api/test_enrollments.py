"""Courses, sections and enrolments: state[] with several values, SIS ids, tasks, reactivate."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enrollments import services as enrollment_services
from enrollments.models import Enrollment
from enrollments.selectors import default_section

COURSE = "/api/v1/courses/sis_course_id:SIS-SAFE101"


@pytest.fixture
def section(course, admin_user):
    return enrollment_services.section_create(
        course, name="Evening", sis_section_id="SEC-EVE", by=admin_user, reason="Test set-up"
    )


@pytest.fixture
def in_every_state(course, make_user, enrol):
    return {
        state: enrol(make_user(sis_user_id=f"S-{state}"), course, state)
        for state in ("invited", "active", "inactive", "completed", "deleted")
    }


def states(response):
    assert response.status_code == 200, response.json()
    return sorted(row["enrollment_state"] for row in response.json())


def test_state_filter_takes_several_values_all_and_a_canvas_default(api, in_every_state):
    url = f"{COURSE}/enrollments"
    assert states(api.get(url)) == ["active", "invited"]
    assert states(api.get(url, {"state[]": ["active", "inactive"]})) == ["active", "inactive"]
    assert states(api.get(f"{url}?state[]=completed&state[]=deleted")) == ["completed", "deleted"]
    assert states(api.get(url, {"state[]": "all"})) == [
        "active",
        "completed",
        "deleted",
        "inactive",
        "invited",
    ]
    assert states(api.get(url, {"state[]": "current_and_concluded"})) == ["active", "completed"]
    assert states(api.get(url, {"state": "inactive"})) == ["inactive"]


def test_an_invalid_state_or_type_is_a_400_that_names_it(api, course):
    response = api.get(f"{COURSE}/enrollments", {"state[]": ["active", "asleep"]})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["attribute"] == "state[]"
    assert "asleep" in error["message"]
    response = api.get(f"{COURSE}/enrollments", {"type[]": "PilotEnrollment"})
    assert response.status_code == 400
    assert "PilotEnrollment" in response.json()["errors"][0]["message"]
    assert api.get(f"{COURSE}/enrollments", {"user_id": "what:ever"}).status_code == 400


def test_filters_by_user_sis_ids_and_type(api, in_every_state):
    url = f"{COURSE}/enrollments"
    rows = api.get(url, {"state[]": "all", "sis_user_id[]": ["S-active", "S-deleted"]}).json()
    assert sorted(row["sis_user_id"] for row in rows) == ["S-active", "S-deleted"]
    rows = api.get(url, {"user_id": "sis_user_id:S-invited"}).json()
    assert [row["sis_user_id"] for row in rows] == ["S-invited"]
    assert api.get(url, {"type[]": "TeacherEnrollment"}).json() == []


def test_enrollment_json_has_canvas_key_fields(api, in_every_state, course):
    row = api.get(f"{COURSE}/enrollments", {"state[]": "active"}).json()[0]
    expected = {
        "id",
        "course_id",
        "course_section_id",
        "user_id",
        "type",
        "role",
        "enrollment_state",
        "sis_user_id",
        "sis_course_id",
        "sis_section_id",
        "created_at",
        "updated_at",
        "user",
    }
    assert expected <= set(row)
    assert row["sis_course_id"] == "SIS-SAFE101"
    assert row["user"]["sis_user_id"] == "S-active"
    assert row["created_at"].endswith("Z")


def test_enrol_by_sis_id_into_a_section_form_encoded(api, make_user, section, admin_user):
    make_user(sis_user_id="S-9")
    response = api.post(
        "/api/v1/sections/sis_section_id:SEC-EVE/enrollments",
        {
            "enrollment[user_id]": "sis_user_id%3AS-9",
            "enrollment[type]": "StudentEnrollment",
            "enrollment[enrollment_state]": "active",
            "enrollment[notify]": "false",
        },
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["course_section_id"], data["enrollment_state"]) == (section.pk, "active")
    stored = Enrollment.objects.get(pk=data["id"])
    assert stored.source == "api"
    row = stored.history.latest()
    assert (row.history_user, row.history_change_reason) == (
        admin_user,
        "API: POST /api/v1/sections/:section_id/enrollments",
    )


def test_enrol_in_a_course_json_defaults_to_invited_in_the_default_section(api, make_user, course):
    user = make_user(sis_user_id="S-8")
    response = api.post(
        f"{COURSE}/enrollments",
        {"enrollment": {"user_id": "sis_login_id:" + user.username}},
        format="json",
    )
    data = response.json()
    assert data["enrollment_state"] == "invited"
    assert data["type"] == "StudentEnrollment"
    assert data["course_section_id"] == default_section(course).pk


def test_enrol_with_course_section_id_and_enrolling_again_changes_only_the_state(
    api, make_user, section
):
    make_user(sis_user_id="S-7")
    body = {
        "enrollment[user_id]": "sis_user_id:S-7",
        "enrollment[course_section_id]": "sis_section_id:SEC-EVE",
        "enrollment[enrollment_state]": "active",
    }
    first = api.post(f"{COURSE}/enrollments", body).json()
    assert first["course_section_id"] == section.pk
    again = api.post(f"{COURSE}/enrollments", {**body, "enrollment[enrollment_state]": "inactive"})
    assert again.json()["id"] == first["id"]
    assert again.json()["enrollment_state"] == "inactive"
    assert again.json()["course_section_id"] == section.pk
    assert Enrollment.objects.count() == 1


def test_enrol_bad_input(api, make_user, course, partner):
    assert api.post(f"{COURSE}/enrollments", {}).status_code == 400
    response = api.post(f"{COURSE}/enrollments", {"enrollment[user_id]": "sis_user_id:nobody"})
    assert response.status_code == 404
    user = make_user()
    for field, value in (("type", "PilotEnrollment"), ("enrollment_state", "deleted")):
        response = api.post(
            f"{COURSE}/enrollments",
            {"enrollment[user_id]": user.pk, f"enrollment[{field}]": value},
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["attribute"] == f"enrollment[{field}]"
        assert value in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("task", "state"),
    [
        ("inactivate", "inactive"),
        ("deactivate", "inactive"),
        ("conclude", "completed"),
        ("delete", "deleted"),
    ],
)
def test_delete_with_task_keeps_the_section(api, make_user, section, enrol, task, state):
    user = make_user()
    enrollment = enrol(user, section.course, section=section)
    response = api.delete(f"{COURSE}/enrollments/{enrollment.pk}", {"task": task})
    assert response.status_code == 200, response.json()
    assert response.json()["enrollment_state"] == state
    enrollment.refresh_from_db()
    assert (enrollment.state, enrollment.section_id) == (state, section.pk)
    assert enrollment.history.latest().history_change_reason == (
        f"API: DELETE /api/v1/courses/:course_id/enrollments/:enrollment_id (task={task})"
    )


def test_delete_without_task_concludes_and_a_bad_task_is_a_400(api, make_user, course, enrol):
    enrollment = enrol(make_user(), course)
    response = api.delete(f"{COURSE}/enrollments/{enrollment.pk}?task=explode")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attribute"] == "task"
    enrollment.refresh_from_db()
    assert enrollment.state == "active"
    assert api.delete(f"{COURSE}/enrollments/{enrollment.pk}").json()["enrollment_state"] == (
        "completed"
    )


def test_reactivate_by_the_users_sis_id(api, make_user, course, enrol):
    enrollment = enrol(make_user(sis_user_id="S-3"), course, "inactive")
    url = f"{COURSE}/enrollments/sis_user_id:S-3/reactivate"
    response = api.put(url)
    assert response.status_code == 200
    assert response.json()["enrollment_state"] == "active"
    enrollment.refresh_from_db()
    assert enrollment.state == "active"
    response = api.put(url)
    assert response.status_code == 400
    assert response.json() == {"error": "enrollment not inactive"}


def test_an_enrollment_of_another_course_or_unknown_is_a_404(
    api, make_user, course, enrol, admin_user
):
    other = enrollment_services.course_create(code="X", name="X", by=admin_user, reason="Test")
    enrollment = enrol(make_user(), other)
    assert (
        api.delete(f"{COURSE}/enrollments/{enrollment.pk}", {"task": "delete"}).status_code == 404
    )
    assert api.put(f"{COURSE}/enrollments/999999/reactivate").status_code == 404
    assert api.get("/api/v1/courses/sis_course_id:NOPE/enrollments").status_code == 404


def test_power_user_cannot_touch_another_organisations_enrollment(
    power_api, make_user, course, enrol
):
    enrollment = enrol(make_user(), course)
    state = enrollment.state
    response = power_api.delete(f"/api/v1/courses/{course.pk}/enrollments/{enrollment.pk}")
    nothing = power_api.delete("/api/v1/courses/999999/enrollments/999999")
    # Not any 404: the very answer a course that does not exist gets, and nothing changed.
    assert (response.status_code, response.json()) == (404, nothing.json())
    assert nothing.json() == {"errors": [{"message": "The specified resource does not exist."}]}
    enrollment.refresh_from_db()
    assert enrollment.state == state
    listing = power_api.get(f"/api/v1/courses/{course.pk}/enrollments")
    assert (listing.status_code, listing.json()) == (
        404,
        power_api.get("/api/v1/courses/999999/enrollments").json(),
    )


def test_user_and_section_enrollment_lists(api, make_user, section, enrol, course):
    user = make_user(sis_user_id="S-1")
    enrol(user, course, "completed")
    enrol(user, course, section=section)
    rows = api.get("/api/v1/users/sis_user_id:S-1/enrollments", {"state[]": "all"}).json()
    assert len(rows) == 2
    rows = api.get("/api/v1/sections/sis_section_id:SEC-EVE/enrollments").json()
    assert [row["course_section_id"] for row in rows] == [section.pk]


def test_courses_and_sections_endpoints(api, course, section, power_api):
    assert api.get("/api/v1/courses/sis_course_id:SIS-SAFE101").json()["course_code"] == "SAFE101"
    assert api.get("/api/v1/sections/sis_section_id:SEC-EVE").json()["course_id"] == course.pk
    assert api.get(f"{COURSE}/sections/sis_section_id:SEC-EVE").status_code == 200
    names = [row["name"] for row in api.get(f"{COURSE}/sections").json()]
    assert names == ["SAFE101 (default section)", "Evening"]
    created = api.post(
        f"{COURSE}/sections", {"course_section[name]": "Day", "course_section[sis_section_id]": "D"}
    ).json()
    assert created["sis_section_id"] == "D"
    duplicate = api.post(f"{COURSE}/sections", {"course_section[sis_section_id]": "D"})
    assert duplicate.status_code == 400
    response = api.post(
        "/api/v1/accounts/self/courses",
        {
            "course[name]": "Ladders",
            "course[course_code]": "LAD",
            "course[start_at]": "2025-01-06T00:00:00Z",
        },
    )
    assert response.json()["start_at"] == "2025-01-06T00:00:00Z"
    bad = api.post("/api/v1/accounts/self/courses", {"course[start_at]": "soon"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["attribute"] == "course[start_at]"
    assert power_api.post(f"{COURSE}/sections", {"course_section[name]": "P"}).status_code in (
        403,
        404,
    )


def test_query_count_does_not_grow_with_the_page_size(api, course, make_user, enrol):
    for number in range(30):
        enrol(make_user(sis_user_id=f"Q-{number}"), course, "active" if number % 2 else "inactive")
    api.get(f"{COURSE}/enrollments")  # the first request records the token's last use

    def queries(per_page):
        with CaptureQueriesContext(connection) as captured:
            response = api.get(
                f"{COURSE}/enrollments", {"state[]": ["active", "inactive"], "per_page": per_page}
            )
        assert response.status_code == 200
        assert len(response.json()) == min(per_page, 30)
        return len(captured)

    assert queries(2) == queries(10) == queries(20)
    assert queries(20) <= 8


def test_a_course_names_its_term_as_canvas_does(api, course, admin_user):
    assert api.get(COURSE).json()["enrollment_term_id"] is None
    fall = enrollment_services.term_create(name="Fall 2025", by=admin_user, reason="Test set-up")
    enrollment_services.course_update(course, term=fall, by=admin_user, reason="Test set-up")
    assert api.get(COURSE).json()["enrollment_term_id"] == fall.pk
