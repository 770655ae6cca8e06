"""The status counts the triggers keep (users.selectors.status_counts): they follow every
way people are added, changed and removed, services or not; folding keeps their sums; a
recount puts them right after changes made with the triggers off."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from tests.imports.helpers import import_and_apply
from users import services
from users.models import Organisation, StatusCount, User, UserStatus
from users.selectors import status_counts as kept

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgresql("the counts are kept by triggers on PostgreSQL"),
]


def counted(**conditions) -> dict:
    found = dict.fromkeys(UserStatus.values, 0)
    rows = User.objects.filter(**conditions).values_list("status").annotate(n=Count("id"))
    found.update(rows.order_by())
    return found


def assert_kept_counts_are_right(*organisations):
    assert kept.status_counts(None) == counted()
    for organisation in organisations:
        assert kept.status_counts({organisation.pk}) == counted(organisation=organisation)
    assert kept.status_counts({o.pk for o in organisations}) == counted(
        organisation__in=organisations
    )


def test_counts_follow_services_the_orm_and_plain_sql(admin_user, organisation, partner):
    people = [
        services.user_create(username=f"p{n}", organisation=partner, by=admin_user, reason="t")
        for n in range(6)
    ]
    User.objects.bulk_create(
        [User(username=f"bulk{n}", organisation=organisation) for n in range(4)]
        + [User(username="nowhere")]
    )
    assert_kept_counts_are_right(organisation, partner)

    services.user_deactivate(people[0], by=admin_user, reason="t")
    services.users_deactivate(
        User.objects.filter(pk__in=[p.pk for p in people[1:4]]), by=admin_user, reason="t"
    )
    services.user_delete(people[4], by=admin_user, reason="t")
    assert_kept_counts_are_right(organisation, partner)

    services.users_reactivate(User.objects.filter(pk=people[1].pk), by=admin_user, reason="t")
    services.user_undelete(people[4], by=admin_user, reason="t")
    assert_kept_counts_are_right(organisation, partner)

    # Behind the services' back: a move to another organisation, a status set in SQL, a
    # row removed, and an update that moves nobody.
    User.objects.filter(username__startswith="bulk").update(organisation=partner)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE users_user SET status = 'deleted' WHERE username = 'nowhere'")
        cursor.execute("UPDATE users_user SET first_name = 'Renamed' WHERE username = 'p5'")
    User.objects.filter(username="p5").delete()
    assert_kept_counts_are_right(organisation, partner)
    assert kept.status_counts({Organisation.objects.count() + 1000}) == dict.fromkeys(
        UserStatus.values, 0
    )


def test_counts_follow_an_import_written_with_copy(admin_user, organisation, partner):
    rows = "\n".join(
        f"SIS-{n},imported{n},Ima,Porter{n},ima{n}@example.com,{status}"
        for n, status in enumerate(["active", "active", "inactive", "deleted"])
    )
    content = f"user_id,login_id,first_name,last_name,email,status\n{rows}\n".encode()
    job = import_and_apply("users", content, by=admin_user, organisation=partner)
    assert job.state == "done", (job.state, job.failure)
    assert User.objects.filter(username__startswith="imported").count() == 4
    assert_kept_counts_are_right(organisation, partner)


def test_a_change_that_moves_nobody_adds_no_row(admin_user, make_user):
    person = make_user()
    rows = StatusCount.objects.count()
    User.objects.filter(pk=person.pk).update(first_name="Someone", last_login=None)
    assert StatusCount.objects.count() == rows


def test_folding_keeps_the_sums_in_one_row_per_organisation_and_status(
    admin_user, organisation, partner
):
    people = [
        services.user_create(username=f"f{n}", organisation=partner, by=admin_user, reason="t")
        for n in range(5)
    ]
    for person in people:
        services.user_deactivate(person, by=admin_user, reason="t")
        services.user_reactivate(person, by=admin_user, reason="t")
    before = kept.status_counts(None)
    assert StatusCount.objects.count() > 10

    services.status_counts_fold()

    assert kept.status_counts(None) == before == counted()
    keys = list(StatusCount.objects.values_list("organisation_id", "status"))
    assert len(keys) == len(set(keys))
    assert not StatusCount.objects.filter(n=0).exists()


@pytest.mark.django_db(transaction=True)
def test_a_read_that_finds_many_rows_folds_them(monkeypatch, roles, admin_user, partner):
    monkeypatch.setattr(kept, "FOLD_AFTER_ROWS", 3)
    for n in range(4):
        services.user_create(username=f"r{n}", organisation=partner, by=admin_user, reason="t")
    assert StatusCount.objects.count() > 3

    assert kept.status_counts(None) == counted()

    assert StatusCount.objects.count() <= len(UserStatus.values) * Organisation.objects.count()
    assert kept.status_counts(None) == counted()


@pytest.mark.django_db(transaction=True)
def test_emptying_the_people_empties_the_counts(roles, admin_user, make_user):
    make_user()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE users_user CASCADE")
    assert kept.status_counts(None) == dict.fromkeys(UserStatus.values, 0)


def test_rebuild_figures_recounts_what_changed_with_the_triggers_off(admin_user, make_user):
    people = [make_user() for _ in range(3)]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # triggers off
        cursor.execute(
            "UPDATE users_user SET status = 'inactive' WHERE id = ANY(%s)",
            [[p.pk for p in people]],
        )
        cursor.execute("SET LOCAL session_replication_role = origin")
    assert kept.status_counts(None) != counted()

    call_command("rebuild_figures", stdout=io.StringIO())

    assert kept.status_counts(None) == counted()
