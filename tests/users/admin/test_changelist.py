"""The users list at scale and for power users: query counts at every page size, scoped
tabs, search and filters, "select all" beyond the count cap (review finding 8), partial SIS
ID search (finding 9), and bulk Undelete from the page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enrollments import services as enrollment_services
from enrollments.models import Enrollment
from tests.conftest import PASSWORD
from users import services
from users.models import User, UserStatus

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/users/user/"


def sign_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def listed(response):
    return [user.username for user in response.context["cl"].result_list]


def tab_counts(response):
    return {tab["label"]: tab["count"] for tab in response.context["status_tabs"]}


@pytest.mark.parametrize("size", [100, 200])
def test_users_page_stays_within_ten_queries_at_large_page_sizes(
    client, admin_user, make_user, size
):
    people = [make_user() for _ in range(size + 5)]
    services.users_deactivate(
        User.objects.filter(pk__in=[p.pk for p in people[::3]]), by=admin_user, reason="t"
    )
    sign_in(client, admin_user)
    client.get(CHANGELIST)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{CHANGELIST}?status=all&per_page={size}")
    assert response.status_code == 200
    assert len(listed(response)) == size
    assert len(queries.captured_queries) <= 10, [q["sql"] for q in queries.captured_queries]


def test_power_user_page_stays_within_ten_queries(client, power_user, partner, admin_user):
    for n in range(60):
        services.user_create(username=f"p{n}", organisation=partner, by=admin_user, reason="t")
    sign_in(client, power_user)
    client.get(CHANGELIST)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{CHANGELIST}?per_page=100")
    assert len(listed(response)) == 61
    assert len(queries.captured_queries) <= 10, [q["sql"] for q in queries.captured_queries]


def test_power_user_tabs_search_and_filters_are_scoped(
    client, power_user, partner, organisation, admin_user, make_user
):
    # In Acme (not theirs): two active, one inactive, one deleted, all called Smith.
    acme = [make_user(last_name="Smith", sis_user_id=f"AC-{n}") for n in range(4)]
    services.user_deactivate(acme[2], by=admin_user, reason="t")
    services.user_delete(acme[3], by=admin_user, reason="t")
    # Theirs: one active and one inactive Smith.
    mine = [
        services.user_create(
            username=f"partner.smith{n}",
            last_name="Smith",
            sis_user_id=f"PA-{n}",
            organisation=partner,
            by=admin_user,
            reason="t",
        )
        for n in range(2)
    ]
    services.user_deactivate(mine[1], by=admin_user, reason="t")
    acme_segment = services.segment_create(
        name="Acme crew", organisation=organisation, by=None, reason="t"
    )
    services.segment_add_members(
        acme_segment, User.objects.filter(pk=acme[0].pk), by=None, reason="t"
    )
    sign_in(client, power_user)

    response = client.get(CHANGELIST)
    assert tab_counts(response) == {"Active": "2", "Inactive": "1", "Deleted": "0", "All": "3"}
    response = client.get(CHANGELIST + "?q=Smith")
    assert listed(response) == ["partner.smith0"]
    assert tab_counts(response) == {"Active": "1", "Inactive": "1", "Deleted": "0", "All": "2"}
    assert listed(client.get(CHANGELIST + "?q=AC-0&status=all")) == []
    assert listed(client.get(CHANGELIST + "?q=PA-1&status=all")) == ["partner.smith1"]
    # Filter choices name only their organisation and segments; other ids find nothing.
    filters = {spec.title: spec for spec in response.context["cl"].filter_specs}
    assert [label for _, label in filters["organisation"].lookup_choices] == ["Partner Ltd"]
    assert "segment" not in filters  # no segments of theirs: no segment filter to show
    assert listed(client.get(f"{CHANGELIST}?organisation={organisation.pk}&status=all")) == []
    shown = listed(client.get(f"{CHANGELIST}?segment={acme_segment.pk}&status=all"))
    assert acme[0].username not in shown
    assert set(shown) <= {"power", "partner.smith0", "partner.smith1"}
    never = listed(client.get(f"{CHANGELIST}?signed_in=never&status=all"))
    assert set(never) == {"partner.smith0", "partner.smith1"}


def test_select_all_beyond_the_cap_says_more_than_and_acts_on_all(
    client, admin_user, make_user, monkeypatch
):
    import lms_admin.plumbing.counting

    monkeypatch.setattr(lms_admin.plumbing.counting, "COUNT_CAP", 30)
    seasonal = [make_user(last_name="Seasonal") for _ in range(40)]
    sign_in(client, admin_user)
    response = client.get(CHANGELIST + "?q=Seasonal&per_page=25")
    page = response.content.decode()
    assert "Select all matching users (more than 30)" in page
    assert "All matching users selected (more than 30)" in page
    assert "31" not in response.context["select_all_label"]
    assert "Select all 31" not in page
    response = client.post(
        CHANGELIST + "?q=Seasonal&per_page=25",
        {
            "action": "deactivate_selected",
            "index": "0",
            "select_across": "1",
            "_selected_action": [seasonal[0].pk],
            "confirm": "yes",
        },
    )
    assert response.status_code == 302
    assert User.objects.filter(last_name="Seasonal", status="inactive").count() == 40


def test_select_all_below_the_cap_gives_the_number(client, admin_user, make_user):
    for _ in range(30):
        make_user(last_name="Cohort")
    sign_in(client, admin_user)
    page = client.get(CHANGELIST + "?q=Cohort&per_page=25").content.decode()
    assert "Select all 30 users" in page


def test_search_finds_part_of_a_sis_id_with_exact_matches_first(client, admin_user, make_user):
    make_user(username="partial.one", sis_user_id="EMP-0042-X")
    make_user(username="partial.two", sis_user_id="XEMP-0042")
    make_user(username="exact", sis_user_id="EMP-0042")
    make_user(username="unrelated", sis_user_id="EMP-9999")
    sign_in(client, admin_user)
    found = listed(client.get(CHANGELIST + "?q=EMP-0042"))
    assert found[0] == "exact"
    assert set(found) == {"exact", "partial.one", "partial.two"}
    assert set(listed(client.get(CHANGELIST + "?q=0042"))) == {
        "exact",
        "partial.one",
        "partial.two",
    }


def test_bulk_undelete_from_the_page(client, admin_user, make_user, course):
    people = [make_user(email=""), make_user()]
    enrollment = enrollment_services.enrollment_create(
        user=people[0], course=course, by=admin_user, reason="t"
    )
    enrollment_services.enrollment_set_state(enrollment, "completed", by=admin_user, reason="t")
    services.user_deactivate(people[1], by=admin_user, reason="t")
    services.users_delete(
        User.objects.filter(pk__in=[p.pk for p in people]), by=admin_user, reason="t"
    )
    sign_in(client, admin_user)
    data = {
        "action": "undelete_users",
        "index": "0",
        "_selected_action": [p.pk for p in people],
    }
    page = client.post(CHANGELIST + "?status=deleted", data).content.decode()
    assert "2 deleted users return to the status they had before" in page
    assert User.objects.filter(status=UserStatus.DELETED).count() == 2
    response = client.post(
        CHANGELIST + "?status=deleted", {**data, "confirm": "yes", "reason": "Came back"}
    )
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "Undeleted 2 users." in page
    assert "download them once" in page  # the email-less active person got a password
    statuses = dict(User.objects.filter(pk__in=[p.pk for p in people]).values_list("pk", "status"))
    assert statuses == {people[0].pk: "active", people[1].pk: "inactive"}
    assert Enrollment.objects.get(pk=enrollment.pk).state == "completed"
    assert people[0].history.first().history_change_reason == "Came back"


def statements(queries) -> str:
    return "\n".join(query["sql"] for query in queries.captured_queries)


@pytest.mark.postgresql("the status counts are kept by triggers on PostgreSQL")
def test_tabs_read_the_kept_counts_when_only_the_scope_or_an_organisation_narrows(
    client, admin_user, power_user, partner, organisation, make_user
):
    theirs = [
        services.user_create(username=f"own{n}", organisation=partner, by=admin_user, reason="t")
        for n in range(3)
    ]
    services.user_deactivate(theirs[0], by=admin_user, reason="t")
    services.user_delete(make_user(), by=admin_user, reason="t")
    make_user()

    def tabs_of(person, query=""):
        sign_in(client, person)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(CHANGELIST + query)
        assert response.status_code == 200
        sql = statements(queries)
        return tab_counts(response), "users_statuscount" in sql, "LIMIT 10001" in sql

    everyone = {
        "Active": str(User.objects.filter(status=UserStatus.ACTIVE).count()),
        "Inactive": "1",
        "Deleted": "1",
        "All": str(User.objects.count()),
    }
    assert tabs_of(admin_user) == (everyone, True, False)
    partner_tabs = {"Active": "3", "Inactive": "1", "Deleted": "0", "All": "4"}
    assert tabs_of(admin_user, f"?organisation={partner.pk}") == (partner_tabs, True, False)
    assert tabs_of(power_user) == (partner_tabs, True, False)
    assert tabs_of(power_user, f"?organisation={partner.pk}") == (partner_tabs, True, False)
    # Another organisation's id reads as one that does not exist, counted or not.
    nobody = {"Active": "0", "Inactive": "0", "Deleted": "0", "All": "0"}
    assert tabs_of(power_user, f"?organisation={organisation.pk}")[0] == nobody
    assert tabs_of(power_user, "?organisation=987654321")[0] == nobody


@pytest.mark.postgresql("the status counts are kept by triggers on PostgreSQL")
def test_any_other_filter_or_a_search_counts_the_people(client, admin_user, partner, make_user):
    people = [make_user(last_name="Counted") for _ in range(3)]
    services.user_deactivate(people[0], by=admin_user, reason="t")
    segment = services.segment_create(name="Crew", organisation=None, by=None, reason="t")
    services.segment_add_members(
        segment, User.objects.filter(pk__in=[p.pk for p in people[:2]]), by=None, reason="t"
    )
    sign_in(client, admin_user)
    for query, expected in (
        (f"?segment={segment.pk}", {"Active": "1", "Inactive": "1", "Deleted": "0", "All": "2"}),
        (
            f"?organisation={people[0].organisation_id}&segment={segment.pk}",
            {"Active": "1", "Inactive": "1", "Deleted": "0", "All": "2"},
        ),
        ("?signed_in=never", None),
        ("?q=Counted", {"Active": "2", "Inactive": "1", "Deleted": "0", "All": "3"}),
    ):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(CHANGELIST + query)
        assert response.status_code == 200
        assert "users_statuscount" not in statements(queries), query
        if expected:
            assert tab_counts(response) == expected, query


@pytest.mark.postgresql("the status counts are kept by triggers on PostgreSQL")
def test_kept_tab_counts_are_capped_as_counted_ones_are(client, admin_user, make_user, monkeypatch):
    import lms_admin.plumbing.counting
    from users.admin import changelist

    monkeypatch.setattr(lms_admin.plumbing.counting, "COUNT_CAP", 3)
    monkeypatch.setattr(changelist, "COUNT_CAP", 3)
    for _ in range(5):
        make_user()
    sign_in(client, admin_user)
    kept = tab_counts(client.get(CHANGELIST))
    monkeypatch.setattr(changelist, "kept_counts_available", lambda using: False)
    counted = tab_counts(client.get(CHANGELIST))
    assert kept == counted == {"Active": "3+", "Inactive": "0", "Deleted": "0", "All": "3+"}
