"""The duplicate finder's reasons: page after page, the same groups (people and order) as
the finder before its reasons were read from their own indexes (tests/users/
finder_reference.py), for a training admin and for a power user, whatever the page size."""

import random

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from enrollments.models import Course, Enrollment, Section
from tests.users import finder_reference
from users.models import Organisation, User, UserStatus
from users.selectors import REASONS, duplicate_groups

pytestmark = pytest.mark.django_db

LAST_NAMES = ["Brown", "Khan", "Ng", "Patel", "Okafor"]
FIRST_NAMES = ["Ana", "Bo", "Cy"]
EMAILS = ["twin@example.com", "Solo@Example.com", "pair@example.org", "x@y.z"]


@pytest.fixture
def people(organisation, partner):
    """People of four organisations (and none) whose emails, names, SIS ids and courses
    collide in every way the finder looks at, some of them deleted or anonymised."""
    retail = Organisation.objects.create(name="Acme Retail", slug="retail", parent=organisation)
    partner_sub = Organisation.objects.create(name="Partner Sub", slug="psub", parent=partner)
    organisations = [organisation, retail, partner, partner_sub, None]
    rng = random.Random(17)
    rows, taken = [], set()
    for n in range(160):
        sis = f"{rng.choice(['SIS-', 'ALT:', 'X_', ''])}{rng.randrange(25):03d}"
        sis = None if sis in taken or rng.random() < 0.2 else sis  # SIS ids are unique
        taken.add(sis)
        rows.append(
            User(
                username=f"p{n}",
                email=rng.choice(["", f"own{n}@example.com", *EMAILS]).swapcase()
                if rng.random() < 0.3
                else rng.choice(["", f"own{n}@example.com", *EMAILS]),
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice([*LAST_NAMES, ""]) if rng.random() < 0.95 else "",
                sis_user_id=sis,
                organisation=rng.choice(organisations),
                status=rng.choice(
                    [UserStatus.ACTIVE] * 6 + [UserStatus.INACTIVE] * 2 + [UserStatus.DELETED]
                ),
                anonymised_at=timezone.now() if rng.random() < 0.05 else None,
            )
        )
    users = User.objects.bulk_create(rows)
    courses = [Course.objects.create(code=f"C{n}", name=f"Course {n}") for n in range(6)]
    sections = [Section.objects.create(course=course, name="Main") for course in courses]
    Enrollment.objects.bulk_create(
        Enrollment(user=user, course=section.course, section=section, state="active")
        for user in users
        for section in rng.sample(sections, rng.choice([0, 0, 1, 1, 2]))
    )
    return users


def _walk(finder, viewer, reason, page_size):
    """Every group of every page, as (key, ids), and how many pages it took."""
    groups, after, pages = [], "", 0
    while True:
        page, following = finder(viewer, reason=reason, after=after, page_size=page_size)
        pages += 1
        groups += [(group.key, [user.pk for user in group.users]) for group in page]
        if following is None or pages > 200:
            return groups, pages
        after = following


@pytest.mark.parametrize("reason", list(REASONS))
@pytest.mark.parametrize("page_size", [1, 2, 3, 50])
def test_same_groups_as_before_page_after_page(people, admin_user, power_user, reason, page_size):
    for viewer in (admin_user, power_user):
        found, _ = _walk(duplicate_groups, viewer, reason, page_size)
        # The old name reason lost groups between pages (its cursor compared text, its
        # order numbers): it is asked for one page holding everything.
        reference_page = 500 if reason == "name" else page_size
        expected, _ = _walk(finder_reference.duplicate_groups, viewer, reason, reference_page)
        if connection.vendor == "sqlite":  # its group_concat listed them in no set order
            expected = [(key, sorted(ids)) for key, ids in expected]
        if reason == "name":  # now people without an organisation come last on SQLite too
            found, expected = sorted(found), sorted(expected)
        assert found == expected, (reason, viewer.username)
        assert all(ids == sorted(ids) for _, ids in found)
    assert expected or reason == "name", "the people should hold groups for every reason"


@pytest.mark.parametrize("reason", list(REASONS))
def test_each_group_shows_its_people_once_with_their_organisation(people, admin_user, reason):
    page, _ = duplicate_groups(admin_user, reason=reason, page_size=500)
    for group in page:
        assert len(group.users) == len({user.pk for user in group.users}) > 1
        for person in group.users:
            user = User.objects.select_related("organisation").get(pk=person.pk)
            assert user.status != UserStatus.DELETED and user.anonymised_at is None
            assert person.organisation_name == (user.organisation.name if user.organisation else "")
            assert (person.username, person.sis_user_id) == (user.username, user.sis_user_id)
            assert person.get_full_name() == user.get_full_name()


def test_another_sis_pattern_still_finds_the_same_groups(people, admin_user, settings):
    """The SIS index holds the pattern set at migration time; another pattern is read
    without it, and answers as before."""
    settings.DUPLICATE_SIS_ID_PATTERN = r"^(?:[A-Z]+)?[-_:]?0*(\d)"
    found, _ = _walk(duplicate_groups, admin_user, "sis", 2)
    expected, _ = _walk(finder_reference.duplicate_groups, admin_user, "sis", 2)
    if connection.vendor == "sqlite":
        expected = [(key, sorted(ids)) for key, ids in expected]
    assert found == expected and found


on_postgresql = pytest.mark.postgresql("the finder's covering indexes and plans are PostgreSQL's")


@on_postgresql
@pytest.mark.parametrize(
    "reason, index",
    [
        ("email", "user_email_lower_idx"),
        ("sis", "user_dup_sis_idx"),
        ("course", "user_dup_name_idx"),
    ],
)
def test_each_reason_reads_its_own_index_alone(people, admin_user, power_user, reason, index):
    """Each statement that forms a page can be answered from the reason's index alone
    (an index-only scan), for a training admin and for a power user: the query names the
    key, the people and the organisation as the index does."""
    for viewer in (admin_user, power_user):
        with CaptureQueriesContext(connection) as queries:
            duplicate_groups(viewer, reason=reason)
        statements = [q["sql"] for q in queries.captured_queries if "users_user u " in q["sql"]]
        statements = [sql for sql in statements if "LEFT JOIN users_organisation" not in sql]
        assert statements
        with connection.cursor() as cursor:
            # Only index-only scans left: on a few test rows PostgreSQL may prefer another
            # index, but the statement must still be answerable from the reason's alone.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            for sql in statements:
                cursor.execute("EXPLAIN " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                assert f"Index Only Scan using {index} on users_user u" in plan, plan
                assert "Seq Scan on users_user" not in plan, plan


@on_postgresql
def test_the_sis_index_holds_the_configured_pattern():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'user_dup_sis_idx'")
        (definition,) = cursor.fetchone()
    assert settings.DUPLICATE_SIS_ID_PATTERN in definition
    assert "sis_user_id IS NOT NULL" in definition


def test_name_groups_page_in_the_order_they_are_read_past_organisation_nine(admin_user, make_user):
    """The cursor compares as the groups are sorted: organisation 10 after 2, not before."""
    organisations = [
        Organisation.objects.create(name=f"Org {n}", slug=f"org-{n}") for n in range(12)
    ]
    for organisation in [*organisations[:2], organisations[-1], None]:
        for _ in range(2):
            make_user(first_name="Kim", last_name="Lee", organisation=organisation)
    everything, _ = duplicate_groups(admin_user, reason="name", page_size=500)
    for page_size in (1, 2, 3):
        found, _ = _walk(duplicate_groups, admin_user, "name", page_size)
        assert [key for key, _ in found] == [group.key for group in everything], page_size
    assert len(everything) == 4
