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
