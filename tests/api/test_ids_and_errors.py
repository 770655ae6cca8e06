"""Ids in paths (SIS ids holding "/", NUL characters) and Canvas-shaped errors for unknown
routes and for values the database refuses. Runs on SQLite and PostgreSQL alike."""

import pytest
from django.db import DataError
from rest_framework.test import APIClient

from enrollments import services as enrollment_services
from enrollments.models import Enrollment
from lms_admin.api.base import BAD_VALUE, NOT_FOUND
from users import services
from users.models import Organisation

NOT_FOUND_JSON = {"errors": [{"message": NOT_FOUND}]}


def assert_canvas_404(response):
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == NOT_FOUND_JSON


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/",
        "/api/v1/nope",
        "/api/v1/accounts/",
        "/api/v1/users/1/nope",
        "/api/v1/courses/1/enrollments/2/reactivate/again",
        "/api/v1/accounts/1/reports/unknown",
        "/api/v1/users/1/history/",
    ],
)
@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_unknown_routes_are_a_canvas_json_404(api, path, method):
    assert_canvas_404(getattr(api, method)(path))


def test_unknown_routes_are_json_without_a_token_too(db):
    assert_canvas_404(APIClient().get("/api/v1/no/such/thing"))
    # The known routes still ask for a token first.
    assert APIClient().get("/api/v1/accounts").status_code == 401


@pytest.fixture
def slashed(admin_user, organisation, make_user):
    """A user, account, course and section whose SIS ids hold a "/"."""
    branch = Organisation.objects.create(
        name="Acme EU", slug="acme-eu", sis_account_id="ACME/EU", parent=organisation
    )
    user = make_user(username="slash", sis_user_id="A/B", organisation=branch)
    course = enrollment_services.course_create(
        code="SL/1",
        name="Slashes",
        organisation=branch,
        sis_course_id="C/1",
        by=admin_user,
        reason="t",
    )
    section = enrollment_services.section_create(
        course, name="S", sis_section_id="S/1", by=admin_user, reason="t"
    )
    enrollment = enrollment_services.enrollment_create(
        user=user, course=course, section=section, by=admin_user, reason="t", notify=False
    )
    return {
        "branch": branch,
        "user": user,
        "course": course,
        "section": section,
        "enrollment": enrollment,
    }


USER = "sis_user_id:A%2FB"
ACCOUNT = "sis_account_id:ACME%2FEU"
COURSE = "sis_course_id:C%2F1"
SECTION = "sis_section_id:S%2F1"


def test_sis_ids_with_a_slash_work_in_every_path(api, slashed):
    user, course, section = slashed["user"], slashed["course"], slashed["section"]
    enrollment = slashed["enrollment"]
    expect = {
        f"/api/v1/users/{USER}": ("id", user.pk),
        "/api/v1/users/sis_user_id%3AA%2FB": ("id", user.pk),
        f"/api/v1/users/{USER}/enrollments": ("0.id", enrollment.pk),
        f"/api/v1/users/{USER}/history": ("0.object_type", "enrollment"),
        f"/api/v1/accounts/{ACCOUNT}": ("id", slashed["branch"].pk),
        f"/api/v1/accounts/{ACCOUNT}/users": ("0.id", user.pk),
        f"/api/v1/accounts/{ACCOUNT}/courses": ("0.id", course.pk),
        f"/api/v1/accounts/{ACCOUNT}/sub_accounts": (None, []),
        f"/api/v1/accounts/{ACCOUNT}/reports/archived": (None, []),
        f"/api/v1/courses/{COURSE}": ("id", course.pk),
        f"/api/v1/courses/{COURSE}/sections": ("1.id", section.pk),  # after the default
        f"/api/v1/courses/{COURSE}/sections/{SECTION}": ("id", section.pk),
        f"/api/v1/courses/{COURSE}/enrollments": ("0.id", enrollment.pk),
        f"/api/v1/courses/{COURSE}/enrollments/{USER}": ("id", enrollment.pk),
        f"/api/v1/courses/{COURSE}/enrollments/sis_login_id%3Aslash": ("id", enrollment.pk),
        f"/api/v1/sections/{SECTION}": ("id", section.pk),
        f"/api/v1/sections/{SECTION}/enrollments": ("0.id", enrollment.pk),
    }
    for url, (key, value) in expect.items():
        response = api.get(url)
        assert response.status_code == 200, (url, response.json())
        data = response.json()
        if key is None:
            assert data == value, url
            continue
        for part in key.split("."):
            data = data[int(part)] if part.isdigit() else data[part]
        assert data == value, url


def test_writes_through_paths_with_slashes(api, slashed, admin_user):
    user, enrollment = slashed["user"], slashed["enrollment"]
    url = f"/api/v1/courses/{COURSE}/enrollments/{USER}"
    response = api.delete(url, {"task": "inactivate"})
    assert response.status_code == 200, response.json()
    assert response.json()["enrollment_state"] == "inactive"
    response = api.put(f"{url}/reactivate")
    assert response.status_code == 200, response.json()
    assert Enrollment.objects.get(pk=enrollment.pk).state == "active"
    assert Enrollment.objects.get(pk=enrollment.pk).section_id == slashed["section"].pk
    response = api.post(
        f"/api/v1/sections/{SECTION}/enrollments",
        {"enrollment[user_id]": "sis_user_id:A/B", "enrollment[type]": "TeacherEnrollment"},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["course_section_id"] == slashed["section"].pk
    account_user = f"/api/v1/accounts/{ACCOUNT}/users/{USER}"
    assert api.delete(account_user).json()["workflow_state"] == "deleted"
    response = api.put(f"{account_user}/restore")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "active"
    # The reason names the route, not the id.
    latest = user.history.latest()
    assert latest.history_change_reason == (
        "API: PUT /api/v1/accounts/:account_id/users/:user_id/restore"
    )


def test_link_headers_keep_a_slashed_id_escaped(api, slashed, admin_user, make_user, enrol):
    for _ in range(3):
        enrol(make_user(), slashed["course"])
    response = api.get(f"/api/v1/courses/{COURSE}/enrollments", {"per_page": 2})
    assert f"/api/v1/courses/{COURSE}/enrollments?" in response.headers["Link"]
    next_url = [
        part.split(";")[0].strip()[1:-1]
        for part in response.headers["Link"].split(",")
        if 'rel="next"' in part
    ][0]
    assert len(api.get(next_url).json()) == 2


NUL_PATHS = [
    "/api/v1/users/sis_user_id:%00",
    "/api/v1/users/sis_login_id:%00/history",
    "/api/v1/users/sis_user_id:A%00/enrollments",
    "/api/v1/users/1%00",
    "/api/v1/accounts/sis_account_id:%00",
    "/api/v1/accounts/sis_account_id:%00/users",
    "/api/v1/accounts/sis_account_id:%00/reports/archived",
    "/api/v1/courses/sis_course_id:%00",
    "/api/v1/courses/sis_course_id:%00/sections",
    "/api/v1/courses/sis_course_id:SIS-SAFE101/enrollments/sis_user_id:%00",
    "/api/v1/courses/sis_course_id:SIS-SAFE101/enrollments/%00",
    "/api/v1/courses/sis_course_id:SIS-SAFE101/sections/sis_section_id:%00",
    "/api/v1/sections/sis_section_id:%00",
    "/api/v1/sections/sis_section_id:%00/enrollments",
]


@pytest.mark.parametrize("path", NUL_PATHS)
def test_a_nul_in_an_id_is_simply_not_found(api, course, path):
    assert_canvas_404(api.get(path))


def test_a_nul_in_a_user_to_delete_or_restore_is_not_found(api, course):
    url = "/api/v1/accounts/sis_account_id:ACME/users/sis_user_id:%00"
    assert_canvas_404(api.delete(url))
    assert_canvas_404(api.put(f"{url}/restore"))


def test_a_nul_in_a_body_id_is_not_found(api, course):
    response = api.post(
        "/api/v1/courses/sis_course_id:SIS-SAFE101/enrollments",
        {"enrollment": {"user_id": "sis_user_id:\x00"}},
        format="json",
    )
    assert_canvas_404(response)


def test_a_value_the_database_refuses_is_a_canvas_400(api, course):
    """On PostgreSQL a NUL in a text filter raises DataError; on SQLite it matches nobody.
    Either way: never a 500, and a 400 is Canvas-shaped."""
    response = api.get(
        "/api/v1/courses/sis_course_id:SIS-SAFE101/enrollments",
        {"sis_user_id[]": "A\x00B", "state[]": "all"},
    )
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert response.json() == {"errors": [{"message": BAD_VALUE}]}
    else:
        assert response.json() == []
    response = api.get("/api/v1/accounts/sis_account_id:ACME/users", {"search_term": "ad\x00m"})
    assert response.status_code in (200, 400)


def test_any_data_error_is_mapped_to_a_canvas_400(api, monkeypatch, make_user):
    from users import selectors

    def refuse(*args, **kwargs):
        raise DataError("value too long for type character varying(100)")

    monkeypatch.setattr(selectors, "user_get", refuse)
    response = api.get(f"/api/v1/users/{make_user().pk}")
    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": BAD_VALUE}]}


def test_a_suspended_users_slashed_id_still_resolves(api, slashed, admin_user):
    services.user_deactivate(slashed["user"], by=admin_user, reason="Left")
    rows = api.get(f"/api/v1/accounts/{ACCOUNT}/reports/archived").json()
    assert [row["user"]["sis_user_id"] for row in rows] == ["A/B"]
