import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enrollments import services as enrollment_services
from enrollments.models import EnrollmentState
from tests.reports.helpers import content, table_rows
from users import services

URL = "/admin/reports/changes/"


def test_change_log_says_when_who_what_and_why(admin_client, admin_user, make_user, course):
    learner = make_user(username="jo")
    enrollment = enrollment_services.enrollment_create(
        user=learner, course=course, by=admin_user, reason="Induction"
    )
    enrollment_services.enrollment_set_state(
        enrollment, EnrollmentState.COMPLETED, by=admin_user, reason="Passed the quiz"
    )
    services.user_deactivate(learner, by=admin_user, reason="Left the company")

    rows = table_rows(admin_client.get(URL).content, "changes")
    newest = rows[0]
    assert newest[1:5] == ["Ada Admin", "Changed", "User", f"jo #{learner.pk}"]
    assert "status: Active → Inactive" in newest[5]
    assert newest[6] == "Left the company"
    done = [row for row in rows if row[6] == "Passed the quiz"][0]
    assert done[3] == "Enrolment" and done[4].startswith("jo in SAFE101")
    assert "state: Active → Completed" in done[5]
    created = [row for row in rows if row[6] == "Induction"][0]
    assert created[2] == "Created"


def test_change_log_filters(admin_client, admin_user, manager, make_user):
    learner = make_user(username="kim")
    services.user_deactivate(learner, by=admin_user, reason="Left")
    rows = table_rows(
        admin_client.get(
            URL, {"actor": admin_user.pk, "object_type": "user", "action": "~"}
        ).content,
        "changes",
    )
    assert [row[6] for row in rows] == ["Left"]
    assert table_rows(admin_client.get(URL, {"actor": manager.pk}).content, "changes") == [
        ["No changes match these filters."]
    ]


def test_change_log_pages_through_every_table_in_order(
    admin_client, admin_user, make_user, monkeypatch
):
    from reports.selectors import changes

    for n in range(4):
        services.user_deactivate(make_user(username=f"m{n}"), by=admin_user, reason=f"r{n}")
    everything = table_rows(admin_client.get(URL).content, "changes")
    monkeypatch.setattr(changes, "PAGE_SIZE", 3)
    paged, url = [], URL
    while url:
        response = admin_client.get(url)
        paged += table_rows(response.content, "changes")
        url = response.context.get("next_url")
    assert paged == everything


@pytest.mark.parametrize(
    "url",
    [
        "/admin/reports/analytics/",
        "/admin/reports/archived/",
        "/admin/reports/changes/",
        "/admin/reports/history/?as_of=2020-01-01",
    ],
)
def test_queries_do_not_grow_with_rows(admin_client, admin_user, make_user, course, url):
    def grow(n):
        for _ in range(n):
            person = make_user()
            enrollment = enrollment_services.enrollment_create(
                user=person, course=course, by=admin_user, reason="t"
            )
            enrollment_services.certificate_issue(
                enrollment_services.enrollment_set_state(
                    enrollment, EnrollmentState.COMPLETED, by=admin_user, reason="t"
                ),
                by=admin_user,
                reason="t",
            )
            services.user_deactivate(person, by=admin_user, reason="Left")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(url).status_code == 200
        return len(queries)

    grow(2)
    few = count()
    grow(8)
    assert count() == few


def test_api_tokens_appear_in_the_change_log_without_their_secret(
    admin_client, power_client, admin_user, make_user
):
    from users.models import AccessToken
    from users.tokens import token_create, token_revoke

    learner = make_user(username="scripter")
    token, secret = token_create(learner, by=admin_user, reason="Nightly sync", purpose="Sync")
    token_revoke(token, by=admin_user, reason="Laptop lost")
    digest = AccessToken.objects.get(pk=token.pk).key_digest

    query = {"object_type": "accesstoken"}
    response = admin_client.get(URL, query)
    rows = table_rows(response.content, "changes")
    assert [(row[2], row[3], row[6]) for row in rows] == [
        ("Changed", "API token", "Laptop lost"),
        ("Created", "API token", "Nightly sync"),
    ]
    assert rows[0][4] == f"Sync …{token.hint} of scripter #{token.pk}"
    assert "revoked at: — →" in rows[0][5]
    assert "purpose: — → Sync" in rows[1][5]
    everything = admin_client.get(URL).content + content(admin_client.get(f"{URL}export/csv/"))
    for secret_text in (digest, secret, "key digest", "key_digest"):
        assert secret_text.encode() not in everything
    # A token is scoped by its user's organisation, like everything else in the log.
    assert table_rows(power_client.get(URL, query).content, "changes") == [
        ["No changes match these filters."]
    ]


# Readable entries, and filters by person, object and actor (issue 13, item 11) -----------


def _cells(response):
    """Each row of the log with the links of its cells: [(text, [hrefs]), ...]."""
    import re

    html = response.content.decode()
    body = html[html.index('<table class="report" id="changes">') :]
    body = body[: body.index("</table>")]
    return [
        (re.sub(r"<[^>]+>", "", row), re.findall(r'href="([^"]+)"', row))
        for row in body.split("<tr>")[2:]
    ]


def test_enrolment_entries_name_the_person_and_course_and_link_to_them(
    admin_client, admin_user, make_user, course
):
    learner = make_user(username="jo")
    enrollment = enrollment_services.enrollment_create(
        user=learner, course=course, by=admin_user, reason="Induction"
    )
    rows = table_rows(admin_client.get(URL, {"object_type": "enrollment"}).content, "changes")
    created = rows[0][5]
    assert "user: — → jo" in created and "course: — → SAFE101" in created
    assert f"user: — → {learner.pk}" not in created
    assert f"course: — → {course.pk}" not in created
    text, links = _cells(admin_client.get(URL, {"object_type": "enrollment"}))[0]
    assert f"/admin/users/user/{learner.pk}/change/" in links
    assert f"/admin/enrollments/course/{course.pk}/change/" in links
    assert f"/admin/enrollments/enrollment/{enrollment.pk}/change/" in links
    # The file says the same names.
    download = content(admin_client.get(f"{URL}export/csv/", {"object_type": "enrollment"}))
    assert "user: — → jo" in download.decode("utf-8-sig")


def test_times_in_the_log_are_local_not_iso(admin_client, admin_user, make_user, settings):
    from users.tokens import token_create, token_revoke

    settings.TIME_ZONE = "Europe/Warsaw"
    token, _ = token_create(make_user(), by=admin_user, reason="Sync", purpose="Sync")
    token_revoke(token, by=admin_user, reason="Lost")
    rows = table_rows(admin_client.get(URL, {"object_type": "accesstoken"}).content, "changes")
    revoked = rows[0][5]
    assert "revoked at: — → " in revoked
    assert "+00:00" not in revoked and "T" not in revoked.split("revoked at: — → ")[1][:19]
    from django.utils import timezone

    from users.models import AccessToken

    local = timezone.localtime(AccessToken.objects.get(pk=token.pk).revoked_at)
    assert f"revoked at: — → {local:%Y-%m-%d %H:%M:%S}" in revoked


def test_the_log_filters_by_person_object_and_actor(
    admin_client, admin_user, manager, make_user, course, organisation
):
    jo, kim = make_user(username="jo", sis_user_id="S-JO"), make_user(username="kim")
    mine = enrollment_services.enrollment_create(user=jo, course=course, by=admin_user, reason="a")
    enrollment_services.enrollment_create(user=kim, course=course, by=manager, reason="b")
    services.user_deactivate(jo, by=manager, reason="Left")

    def whys(query):
        return sorted(row[6] for row in table_rows(admin_client.get(URL, query).content, "changes"))

    # By person: their account and their enrolments, found by username, email or SIS ID.
    for typed in ("jo", "JO", jo.email, "S-JO"):
        assert whys({"person": typed}) == ["Left", "Test set-up", "a"], typed
    # By object: one enrolment.
    assert whys({"object_type": "enrollment", "object_id": mine.pk}) == ["a"]
    # By actor, typed rather than picked from a list of everyone.
    assert whys({"actor": "manager", "person": "kim"}) == ["b"]
    assert whys({"actor": manager.email}) == ["Left", "b"]
    # The filters are text boxes, not drop-downs of every person.
    form = admin_client.get(URL).context["filterset"].form
    for name in ("actor", "person", "object_id"):
        assert form.fields[name].widget.input_type in ("text", "number")


@pytest.mark.parametrize(
    "query",
    [
        {"person": "nobody-here"},
        {"actor": "nobody-here"},
        {"object_id": "7"},
        {"object_type": "user", "object_id": "-1"},
        {"object_type": "user", "object_id": "99999999999999999999"},
    ],
)
def test_log_filters_that_match_no_one_are_a_form_error(admin_client, query):
    for export in ({}, {"export": "csv"}):
        response = admin_client.get(URL, {**query, **export})
        assert response.status_code == 200 and not response.streaming
        assert b'<ul class="errorlist' in response.content


def test_a_power_user_finds_only_their_people_and_sees_only_their_names(
    power_client, admin_client, power_user, admin_user, make_user, partner, course
):
    theirs = make_user(username="theirs", organisation=partner)
    outsider = make_user(username="outsider")
    for query in ({"person": "outsider"}, {"person": "no-such-person"}):
        response = power_client.get(URL, query)
        assert response.context["filterset"].form.errors == {
            "person": ["No one you can see has that username, email or SIS ID."]
        }
    assert power_client.get(URL, {"actor": "admin"}).context["filterset"].form.errors
    rows = table_rows(power_client.get(URL, {"person": "theirs"}).content, "changes")
    assert [row[4] for row in rows] == [f"theirs #{theirs.pk}"]
    # An enrolment of theirs in a course of another organisation names no course.
    enrollment_services.enrollment_create(user=theirs, course=course, by=admin_user, reason="x")
    rows = table_rows(
        power_client.get(URL, {"person": "theirs", "object_type": "enrollment"}).content,
        "changes",
    )
    assert "course: — → SAFE101" not in rows[0][5] and f"course: — → #{course.pk}" in rows[0][5]
    assert "outsider" not in power_client.get(URL).content.decode()
    assert outsider.username in admin_client.get(URL).content.decode()
