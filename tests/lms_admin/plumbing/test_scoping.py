"""lms_admin.plumbing.scoping: what a person sees (for_user) and whom they may change
(may_manage, manageable_users), for each role. Each assertion is exact, so that widening
any narrowing fails here (tests/mutation/run_scope_mutations.py checks it does)."""

import pytest
from django.contrib.auth.models import Group

from enrollments import services as enrollment_services
from enrollments.models import Course
from lms_admin.plumbing.scoping import (
    MANAGER,
    manage_refusal,
    manageable_users,
    may_manage,
)
from users.models import Organisation, User


@pytest.fixture
def tree(partner, organisation, make_user):
    """The power user's organisation (partner) with a child and a grandchild, a learner in
    each, and learners elsewhere: in another organisation and in none."""
    child = Organisation.objects.create(name="Partner North", slug="north", parent=partner)
    grandchild = Organisation.objects.create(name="North Depot", slug="depot", parent=child)
    return {
        "partner": make_user(username="in-partner", organisation=partner),
        "child": make_user(username="in-child", organisation=child),
        "grandchild": make_user(username="in-grandchild", organisation=grandchild),
        "other": make_user(username="in-acme", organisation=organisation),
        "nowhere": make_user(username="in-none", organisation=None),
    }


def usernames(queryset):
    return sorted(queryset.values_list("username", flat=True))


def test_a_power_user_sees_their_organisation_and_every_level_below_it_and_nothing_else(
    power_user, tree
):
    assert usernames(User.objects.for_user(power_user)) == [
        "in-child",
        "in-grandchild",
        "in-partner",
        "power",
    ]


def test_training_admins_and_managers_see_everyone(admin_user, tree, make_user):
    manager = make_user(username="boss", is_staff=True, groups=[MANAGER])
    everyone = usernames(User.objects.all())
    assert usernames(User.objects.for_user(admin_user)) == everyone
    assert usernames(User.objects.for_user(manager)) == everyone


def test_a_power_user_without_an_organisation_sees_nothing(power_user, tree, admin_user):
    enrollment_services.course_create(code="SHARED", name="Shared", by=admin_user, reason="t")
    User.objects.filter(pk=power_user.pk).update(organisation=None)
    power_user = User.objects.get(pk=power_user.pk)
    assert not User.objects.for_user(power_user).exists()
    assert not Course.objects.for_user(power_user).exists()


def test_staff_without_a_role_and_anonymous_visitors_see_nobody(tree, make_user):
    from django.contrib.auth.models import AnonymousUser

    staff_without_role = make_user(username="no-role", is_staff=True)
    assert not User.objects.for_user(staff_without_role).exists()
    assert not User.objects.for_user(AnonymousUser()).exists()


def test_nobody_at_all_sees_nothing_rather_than_an_error(tree):
    """`for_user(None)` (a task or command with no acting person) narrows to nothing."""
    assert not User.objects.for_user(None).exists()
    assert not Course.objects.for_user(None).exists()
    assert not Organisation.objects.for_user(None).exists()


def test_courses_without_an_organisation_are_shared_and_other_organisations_are_not(
    power_user, partner, organisation, admin_user
):
    def create(code, owner):
        return enrollment_services.course_create(
            code=code, name=code, organisation=owner, by=admin_user, reason="t"
        )

    create("OURS", partner), create("SHARED", None), create("THEIRS", organisation)
    seen = sorted(Course.objects.for_user(power_user).values_list("code", flat=True))
    assert seen == ["OURS", "SHARED"]


def test_a_power_user_may_change_only_plain_accounts_of_their_tree(
    power_user, partner, tree, make_user
):
    staff = make_user(username="p-staff", organisation=partner, is_staff=True)
    superuser = make_user(username="p-super", organisation=partner)
    User.objects.filter(pk=superuser.pk).update(is_superuser=True)
    superuser.refresh_from_db()
    role_member = make_user(username="p-role", organisation=partner)
    role_member.groups.add(Group.objects.get(name=MANAGER))

    assert usernames(manageable_users(User.objects.all(), power_user)) == [
        "in-child",
        "in-grandchild",
        "in-partner",
    ]
    for plain in (tree["partner"], tree["child"], tree["grandchild"]):
        assert may_manage(power_user, plain)
        assert manage_refusal(power_user, plain) is None
    for elsewhere in (tree["other"], tree["nowhere"]):
        assert not may_manage(power_user, elsewhere)
        assert "another organisation" in manage_refusal(power_user, elsewhere)
    for with_admin_access in (staff, superuser, role_member, power_user):
        assert not may_manage(power_user, with_admin_access)
        assert "admin access" in manage_refusal(power_user, with_admin_access)


def test_a_training_admin_may_change_anyone(admin_user, tree):
    assert usernames(manageable_users(User.objects.all(), admin_user)) == usernames(
        User.objects.all()
    )
    assert all(may_manage(admin_user, person) for person in tree.values())


def test_a_role_is_read_again_once_the_cached_scope_is_forgotten(power_user, tree):
    from lms_admin.plumbing.scoping import forget_cached_scope

    assert User.objects.for_user(power_user).count() == 4
    power_user.groups.set([Group.objects.get(name=MANAGER)])
    forget_cached_scope(power_user)
    assert User.objects.for_user(power_user).count() == User.objects.count()
