import importlib

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission

from enrollments import services as enrollment_services
from enrollments.models import EnrollmentState
from lms_admin.plumbing.scoping import MANAGER, POWER_USER, TRAINING_ADMIN
from users import services
from users.models import Organisation

PASSWORD = "correct-horse-battery-staple"

# The live server and concurrency tests open connections in their own threads; persistent
# connections there would outlive the threads and block dropping the test database.
settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


def pytest_collection_modifyitems(config, items):
    """A test marked `postgresql("why")` is skipped on any other database with the reason
    "PostgreSQL only: why", so `-ra` lists every one and says why; none passes unnoticed."""
    from django.db import connection

    for item in items:
        marker = item.get_closest_marker("postgresql")
        if marker is None:
            continue
        why = marker.args[0] if marker.args else marker.kwargs.get("reason")
        if not why:
            raise pytest.UsageError(f"{item.nodeid}: say why it needs PostgreSQL")
        if connection.vendor != "postgresql":
            item.add_marker(pytest.mark.skip(reason=f"PostgreSQL only: {why}"))


@pytest.fixture
def roles(db):
    """The role groups come from a data migration; transactional tests flush them away, so
    put them back when they are missing."""
    if not Group.objects.filter(name=TRAINING_ADMIN).exists():
        from django.apps import apps

        migration = importlib.import_module("users.migrations.0002_roles")
        migration.assign_roles(apps)
        imports_migration = importlib.import_module(
            "imports.migrations.0002_status_words_and_roles"
        )
        imports_migration.assign(apps)
        imports_migration.add_words(apps, None)
        add_later_grants()


LATER_GRANTS = (
    ("users", "0017_review_policy_permissions"),
    ("users", "0021_erasure_roles"),
    ("enrollments", "0011_term_permissions"),
)


def add_later_grants():
    """Only the grants of the later permission migrations: their own functions also create
    permissions by toggling the app registry, which must not happen at run time."""
    for app, later in LATER_GRANTS:
        grants = importlib.import_module(f"{app}.migrations.{later}").GRANTS
        for role, codenames in grants.items():
            group = Group.objects.filter(name=role).first()
            if group is not None:
                group.permissions.add(
                    *Permission.objects.filter(content_type__app_label=app, codename__in=codenames)
                )


@pytest.fixture
def organisation(db, roles):
    return Organisation.objects.create(name="Acme Training", slug="acme", sis_account_id="ACME")


@pytest.fixture
def partner(db):
    return Organisation.objects.create(name="Partner Ltd", slug="partner", sis_account_id="PART")


@pytest.fixture
def admin_user(db, organisation):
    return services.user_create(
        username="admin",
        email="admin@example.com",
        first_name="Ada",
        last_name="Admin",
        organisation=organisation,
        password=PASSWORD,
        is_staff=True,
        groups=[TRAINING_ADMIN],
        by=None,
        reason="Test set-up",
    )


@pytest.fixture
def manager(db, organisation):
    return services.user_create(
        username="manager",
        email="manager@example.com",
        organisation=organisation,
        password=PASSWORD,
        is_staff=True,
        groups=[MANAGER],
        by=None,
        reason="Test set-up",
    )


@pytest.fixture
def power_user(db, roles, partner):
    return services.user_create(
        username="power",
        email="power@partner.example",
        organisation=partner,
        password=PASSWORD,
        is_staff=True,
        groups=[POWER_USER],
        by=None,
        reason="Test set-up",
    )


@pytest.fixture
def make_user(db, organisation, admin_user):
    counter = iter(range(1, 100000))

    def make(**overrides):
        n = next(counter)
        values = {
            "username": f"learner{n}",
            "email": f"learner{n}@example.com",
            "first_name": "Lee",
            "last_name": f"Learner{n}",
            "organisation": organisation,
            "password": PASSWORD,
        }
        values.update(overrides)
        return services.user_create(by=admin_user, reason="Test set-up", **values)

    return make


@pytest.fixture
def course(db, organisation, admin_user):
    return enrollment_services.course_create(
        code="SAFE101",
        name="Safety basics",
        organisation=organisation,
        sis_course_id="SIS-SAFE101",
        by=admin_user,
        reason="Test set-up",
    )


@pytest.fixture
def enrolled_in_every_state(db, admin_user):
    """A user with one enrolment in each state, in five courses."""

    def make(user):
        enrollments = {}
        for state in EnrollmentState.values:
            course = enrollment_services.course_create(
                code=f"C-{user.username}-{state}",
                name=f"Course {state}",
                by=admin_user,
                reason="Test set-up",
            )
            enrollment = enrollment_services.enrollment_create(
                user=user, course=course, by=admin_user, reason="Test set-up"
            )
            if state != EnrollmentState.ACTIVE:
                enrollment_services.enrollment_set_state(
                    enrollment, state, by=admin_user, reason="Test set-up"
                )
            enrollments[state] = enrollment
        return enrollments

    return make


@pytest.fixture
def groups(db):
    return {group.name: group for group in Group.objects.all()}
