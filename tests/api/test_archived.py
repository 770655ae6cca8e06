"""GET /accounts/:id/reports/archived: the admin's Archived report, through the API.

It reads the page's FilterSet and selector, so the API, the page and the "Inactive users"
file list the same people with the same departures and training histories."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from enrollments import services as enrollment_services
from enrollments.models import Enrollment, EnrollmentState
from users import services
from users.models import User

ACME = "/api/v1/accounts/sis_account_id:ACME"
REPORT = f"{ACME}/reports/archived"


@pytest.fixture
def leavers(admin_user, make_user, enrolled_in_every_state, partner, organisation):
    enrolled_in_every_state(make_user(username="stays"))
    leaver = make_user(username="leaver", first_name="Lou", last_name="Leaver")
    enrolled_in_every_state(leaver)
    done = Enrollment.objects.get(user=leaver, state=EnrollmentState.COMPLETED)
    enrollment_services.enrollment_record_progress(done, score=88, by=admin_user, reason="t")
    certificate = enrollment_services.certificate_issue(done, by=admin_user, reason="Earned")
    services.user_deactivate(leaver, by=admin_user, reason="Left the company")
    quiet = make_user(username="quiet")
    segment = services.segment_create(
        name="Night shift", organisation=organisation, by=admin_user, reason="t"
    )
    services.segment_add_members(
        segment, User.objects.filter(username="quiet"), by=admin_user, reason="t"
    )
    services.user_deactivate(quiet, by=admin_user, reason="Long-term leave")
    services.user_deactivate(
        make_user(username="elsewhere", organisation=partner), by=admin_user, reason="Left"
    )
    services.user_delete(make_user(username="gone"), by=admin_user, reason="Duplicate")
    return {"leaver": leaver, "quiet": quiet, "segment": segment, "certificate": certificate}


def test_each_inactive_user_with_departure_and_whole_training_history(api, leavers, admin_user):
    response = api.get(REPORT)
    assert response.status_code == 200, response.json()
    rows = response.json()
    assert [row["user"]["login_id"] for row in rows] == ["quiet", "leaver"]  # newest first
    leaver = rows[1]
    assert leaver["user"]["id"] == leavers["leaver"].pk
    assert leaver["user"]["workflow_state"] == "suspended"
    assert leaver["deactivation_reason"] == "Left the company"
    assert leaver["deactivated_by"] == {
        "id": admin_user.pk,
        "name": "Ada Admin",
        "login_id": "admin",
    }
    assert leaver["deactivated_at"].endswith("Z")
    assert leaver["inactive_since"].endswith("Z")
    # Every enrolment, in the state it had when they left.
    enrollments = leaver["enrollments"]
    assert sorted(e["enrollment_state"] for e in enrollments) == sorted(EnrollmentState.values)
    assert leaver["enrollment_states"] == {state: 1 for state in EnrollmentState.values}
    done = next(e for e in enrollments if e["enrollment_state"] == "completed")
    assert done["score"] == 88.0
    assert done["certificate_codes"] == [leavers["certificate"].verification_code]
    assert done["completed_at"].endswith("Z")
    assert done["course_code"] == "C-leaver-completed" and done["course_name"]
    assert rows[0]["enrollments"] == [] and rows[0]["deactivation_reason"] == "Long-term leave"


def _file_view(rows) -> list[tuple]:
    """The API's rows in the shape of the page's file: one row per enrolment."""
    out = []
    for row in rows:
        head = (row["user"]["login_id"], row["deactivated_by"]["name"], row["deactivation_reason"])
        if not row["enrollments"]:
            out.append((*head, "", "", "", ""))
        for e in row["enrollments"]:
            score = "" if e["score"] is None else str(Decimal(str(e["score"])).normalize())
            out.append(
                (
                    *head,
                    e["course_code"],
                    EnrollmentState(e["enrollment_state"]).label,
                    score,
                    ", ".join(e["certificate_codes"]),
                )
            )
    return out


def _admin_file(client, query) -> list[tuple]:
    response = client.get("/admin/reports/archived/export/json/", query)
    assert response.status_code == 200 and response.streaming
    records = json.loads(b"".join(response.streaming_content))
    return [
        (
            r["Username"],
            r["Deactivated by"],
            r["Reason"],
            r["Course code"],
            r["Enrolment state"],
            "" if r["Score"] == "" else str(Decimal(str(r["Score"])).normalize()),
            r["Certificate"],
        )
        for r in records
    ]


@pytest.mark.parametrize("filters", ["none", "segment", "dates"])
def test_the_api_the_page_and_the_file_agree(api, admin_user, leavers, organisation, filters):
    today = timezone.localdate().isoformat()
    query = {
        "none": {},
        "segment": {"segment": leavers["segment"].pk},
        "dates": {"deactivated_from": today, "deactivated_to": today},
    }[filters]
    admin = Client()
    admin.force_login(admin_user)
    expected = _admin_file(admin, {**query, "organisation": organisation.pk})
    rows = api.get(REPORT, {**query, "per_page": 100}).json()
    assert _file_view(rows) == expected
    assert expected  # not vacuous
    page = admin.get("/admin/reports/archived/", {**query, "organisation": organisation.pk})
    assert [p.user.pk for p in page.context["page"].items] == [row["user"]["id"] for row in rows]


def test_filters_narrow_the_report(api, leavers):
    def logins(**query):
        response = api.get(REPORT, query)
        assert response.status_code == 200, response.json()
        return [row["user"]["login_id"] for row in response.json()]

    assert logins(segment=leavers["segment"].pk) == ["quiet"]
    today = timezone.localdate()
    assert logins(deactivated_from=today.isoformat()) == ["quiet", "leaver"]
    yesterday = (today - timedelta(days=1)).isoformat()
    assert logins(deactivated_to=yesterday) == []
    assert logins(**{"organisation": "999"}) == ["quiet", "leaver"]  # the path decides
    partner = api.get("/api/v1/accounts/sis_account_id:PART/reports/archived").json()
    assert [row["user"]["login_id"] for row in partner] == ["elsewhere"]


@pytest.mark.parametrize(
    ("query", "attribute"),
    [
        ({"segment": "999999"}, "segment"),
        ({"segment": "night"}, "segment"),
        ({"deactivated_from": "2024-13-01"}, "deactivated_from"),
        ({"deactivated_from": "0001-01-01"}, "deactivated_from"),
        (
            {"deactivated_to": (timezone.localdate() + timedelta(days=2)).isoformat()},
            "deactivated_to",
        ),
        ({"deactivated_from": "2024-02-01", "deactivated_to": "2024-01-01"}, "deactivated_to"),
    ],
)
def test_bad_filters_are_a_400_that_names_them(api, leavers, query, attribute):
    response = api.get(REPORT, query)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["attribute"] == attribute and error["message"]


def test_power_users_see_only_their_organisation(power_api, leavers, partner):
    assert power_api.get(REPORT).status_code == 404
    assert power_api.get(REPORT).json() == {
        "errors": [{"message": "The specified resource does not exist."}]
    }
    rows = power_api.get(f"/api/v1/accounts/{partner.pk}/reports/archived").json()
    assert [row["user"]["login_id"] for row in rows] == ["elsewhere"]
    # Another organisation's segment is not even a valid choice.
    response = power_api.get(
        f"/api/v1/accounts/{partner.pk}/reports/archived", {"segment": leavers["segment"].pk}
    )
    assert response.status_code == 400


def test_managers_read_it(manager_api, leavers):
    assert manager_api.get(REPORT).status_code == 200


def test_queries_do_not_grow_with_the_page_size(
    api, admin_user, make_user, course, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(30):
        person = make_user(username=f"left{n}")
        enrollment = enrollment_services.enrollment_create(
            user=person, course=course, by=admin_user, reason="t"
        )
        enrollment_services.enrollment_set_state(
            enrollment, EnrollmentState.COMPLETED, by=admin_user, reason="t"
        )
        enrollment_services.certificate_issue(enrollment, by=admin_user, reason="t")
        services.user_deactivate(person, by=admin_user, reason="Left")
    api.get(REPORT, {"per_page": 2})  # warm up: token use, content types
    with CaptureQueriesContext(connection) as small:
        assert len(api.get(REPORT, {"per_page": 2}).json()) == 2
    with django_assert_max_num_queries(len(small)):
        rows = api.get(REPORT, {"per_page": 30}).json()
    assert len(rows) == 30
    assert all(row["enrollments"][0]["certificate_codes"] for row in rows)
