"""The users page: tabs with capped counts, search, filters, the switch on each row, and
the page size."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.users.helpers import CHANGELIST, listed, sign_in, tabs
from users import services
from users.models import User

pytestmark = pytest.mark.django_db


# Tabs, counts, search, filters -------------------------------------------------------


def test_tabs_show_each_status_with_counts(client, admin_user, make_user):
    inactive, deleted = make_user(), make_user()
    make_user()
    services.user_deactivate(inactive, by=admin_user, reason="Left")
    services.user_delete(deleted, by=admin_user, reason="Duplicate")
    sign_in(client, admin_user)

    response = client.get(CHANGELIST)
    assert response.status_code == 200
    shown = tabs(response)
    assert [label for label in shown] == ["Active", "Inactive", "Deleted", "All"]
    assert shown["Active"]["current"] and shown["Active"]["count"] == "2"
    assert (shown["Inactive"]["count"], shown["Deleted"]["count"], shown["All"]["count"]) == (
        "1",
        "1",
        "4",
    )
    assert inactive.username not in listed(response)
    page = response.content.decode()
    assert 'aria-current="page"' in page

    assert listed(client.get(CHANGELIST + "?status=inactive")) == [inactive.username]
    assert listed(client.get(CHANGELIST + "?status=deleted")) == [deleted.username]
    assert len(listed(client.get(CHANGELIST + "?status=all"))) == 4


def test_counts_are_capped(client, admin_user, make_user, monkeypatch):
    import lms_admin.plumbing.counting

    monkeypatch.setattr(lms_admin.plumbing.counting, "COUNT_CAP", 3)
    for _ in range(5):
        make_user()
    sign_in(client, admin_user)
    response = client.get(CHANGELIST)
    assert tabs(response)["Active"]["count"] == "3+"
    assert tabs(response)["Deleted"]["count"] == "0"
    assert "More than 3 users" in response.content.decode()


def test_search_puts_exact_sis_id_and_email_first(client, admin_user, make_user):
    make_user(username="anna.smithson", last_name="Smithson", sis_user_id="S-100")
    make_user(username="bob", last_name="Smith", email="smith@example.com", sis_user_id="S-1")
    make_user(username="zed.smith", last_name="Smith", sis_user_id="SMITH")
    sign_in(client, admin_user)

    assert listed(client.get(CHANGELIST + "?q=SMITH"))[0] == "zed.smith"
    assert listed(client.get(CHANGELIST + "?q=smith@example.com")) == ["bob"]
    assert set(listed(client.get(CHANGELIST + "?q=smith"))) == {
        "anna.smithson",
        "bob",
        "zed.smith",
    }


def test_filters_organisation_segment_role_sign_in_and_dates(
    client, admin_user, make_user, partner, organisation
):
    outsider = make_user(organisation=partner)
    member = make_user()
    segment = services.segment_create(name="Night", organisation=organisation, by=None, reason="t")
    services.segment_add_members(segment, User.objects.filter(pk=member.pk), by=None, reason="t")
    User.objects.filter(pk=member.pk).update(last_login="2020-01-01T00:00:00Z")
    User.objects.filter(pk=outsider.pk).update(date_joined="2021-06-15T10:00:00Z")
    sign_in(client, admin_user)

    assert listed(client.get(f"{CHANGELIST}?organisation={partner.pk}")) == [outsider.username]
    assert listed(client.get(f"{CHANGELIST}?segment={segment.pk}")) == [member.username]
    assert listed(client.get(f"{CHANGELIST}?role=Training+admin")) == ["admin"]
    assert member.username in listed(client.get(f"{CHANGELIST}?signed_in=365"))
    never = listed(client.get(f"{CHANGELIST}?signed_in=never"))
    assert member.username not in never and outsider.username in never
    dated = listed(client.get(f"{CHANGELIST}?created_before=2021-12-31&created_after=2021-01-01"))
    assert dated == [outsider.username]


def test_bad_filter_input_gives_a_message_not_an_error(client, admin_user):
    sign_in(client, admin_user)
    response = client.get(f"{CHANGELIST}?created_after=yesterday", follow=True)
    assert response.status_code == 200
    assert "is not a date" in response.content.decode()
    response = client.get(
        f"{CHANGELIST}?created_after=2024-05-01&created_before=2024-01-01", follow=True
    )
    assert response.status_code == 200
    assert "later than" in response.content.decode()
    response = client.get(f"{CHANGELIST}?status=frozen", follow=True)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "query, message",
    [
        ("created_after=2024-05-01&created_before=2024-01-01", "is later than the"),
        ("created_after=yesterday", "is not a date"),
        ("status=frozen", "There is no status called"),
        ("organisation=999999", "That organisation was not found"),
    ],
)
def test_a_message_about_the_filters_is_shown_once(client, admin_user, query, message):
    """The filters are built twice per page (the list and its tab counts); their message
    about bad input was shown once for each."""
    from django.contrib.messages import get_messages

    sign_in(client, admin_user)
    response = client.get(f"{CHANGELIST}?{query}")
    shown = [str(m) for m in get_messages(response.wsgi_request) if message in str(m)]
    assert len(shown) == 1, shown


def test_users_page_query_count_does_not_grow_with_rows(client, admin_user, make_user):
    sign_in(client, admin_user)
    for _ in range(3):
        make_user()
    client.get(CHANGELIST)
    with CaptureQueriesContext(connection) as few:
        assert client.get(CHANGELIST).status_code == 200
    for _ in range(30):
        make_user()
    with CaptureQueriesContext(connection) as many:
        assert client.get(CHANGELIST + "?status=all").status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(many.captured_queries) <= 10, [q["sql"] for q in many.captured_queries]
    assert not any(
        re.search(r"SELECT COUNT\(\*\) AS \"__count\" FROM \"users_user\"\s*$", q["sql"])
        for q in many.captured_queries
    )


def test_each_row_has_an_accessible_switch_and_a_menu(client, admin_user, make_user):
    learner = make_user(username="jo")
    deleted = make_user(username="gone")
    services.user_delete(deleted, by=admin_user, reason="t")
    sign_in(client, admin_user)
    page = client.get(CHANGELIST + "?status=all").content.decode()
    assert 'role="switch" aria-checked="true" aria-label="Active: jo"' in page
    assert 'aria-label="Active: gone"' not in page
    for label in ("View/Edit user details", "History", "Reset password", "Delete", "Undelete"):
        assert label in page
    assert reverse("admin:users_user_toggle", args=[learner.pk]) in page


def test_each_rows_menu_links_to_its_own_person(client, admin_user, make_user):
    # Rows of the same kind share their menu's shape (worked out once per page); each
    # keeps its own id and name.
    people = [make_user(username=f"same{n}") for n in range(3)]
    sign_in(client, admin_user)
    page = client.get(CHANGELIST + "?q=same").content.decode()
    menus = re.findall(r'<details class="row-menu">.*?</details>', page, flags=re.S)
    assert len(menus) == 3
    for person, menu in zip(people, menus, strict=True):
        assert f'aria-label="Actions for {person.username}"' in menu
        for name in ("change", "history", "reset_password", "remove", "erase"):
            assert reverse(f"admin:users_user_{name}", args=[person.pk]) in menu, (name, menu)
        others = [other for other in people if other != person]
        assert not any(f"/{other.pk}/" in menu for other in others)


def test_page_size_can_be_chosen_and_is_kept_in_links(client, admin_user, make_user):
    for _ in range(30):
        make_user()
    sign_in(client, admin_user)
    response = client.get(CHANGELIST + "?per_page=25")
    assert len(listed(response)) == 25
    assert [c["size"] for c in response.context["page_sizes"]] == [25, 50, 100, 200]
    assert "per_page=25" in response.content.decode().split('class="paginator"')[1]
    assert len(listed(client.get(CHANGELIST + "?per_page=100"))) == 31
    # A size that is not offered falls back to the default.
    assert len(listed(client.get(CHANGELIST + "?per_page=7"))) == 31


@pytest.mark.postgresql("the plan is PostgreSQL's")
def test_the_active_tab_reads_its_own_index_when_others_sort_first(client, admin_user, make_user):
    # People in another state whose names sort first (say, deleted after an import) are
    # not read past: the Active tab's page comes from its own index, in its order.
    gone = [make_user(username=f"aaa{n:03}") for n in range(300)]
    services.users_delete(
        User.objects.filter(pk__in=[p.pk for p in gone]), by=admin_user, reason="t"
    )
    for n in range(60):
        make_user(username=f"zzz{n:03}")
    sign_in(client, admin_user)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {User._meta.db_table}")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    assert [row.username for row in response.context["cl"].result_list][:2] == ["admin", "zzz000"]
    page_sql = queries.captured_queries[-1]["sql"]
    assert "ORDER BY" in page_sql and "LIMIT 50" in page_sql, page_sql
    with connection.cursor() as cursor:
        # A table this small is cheapest read whole and sorted; rule that out to see the
        # plan a large one gets.
        cursor.execute(
            "SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off"
        )
        try:
            cursor.execute(f"EXPLAIN {page_sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan; RESET enable_bitmapscan; RESET enable_sort")
    assert "user_active_username_idx" in plan, plan
