"""users_merge and merge_undo: what moves, who wins each conflict, undo exactly, bad input."""

from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.utils import timezone

from enrollments import services as enrollment_services
from enrollments.models import Certificate, Enrollment, EnrollmentState
from lms_admin.plumbing.errors import DomainError, NotPermitted
from reports.selectors.analytics import analytics_scan
from reports.selectors.figures import analytics
from tests.conftest import PASSWORD
from tests.users.merge_helpers import table_snapshot
from users import services
from users.models import (
    MergeAccount,
    MergeJournalEntry,
    MergeJournalKind,
    SegmentMembership,
    SignInName,
    User,
    UserStatus,
)
from users.tokens import token_create

pytestmark = pytest.mark.django_db

REASON = "Duplicate account (ticket 42)"


def enrol(user, course, admin, state=EnrollmentState.ACTIVE, section=None, activity=None):
    enrollment = enrollment_services.enrollment_create(
        user=user, course=course, section=section, by=admin, reason="set-up", notify=False
    )
    if state != EnrollmentState.ACTIVE:
        enrollment = enrollment_services.enrollment_set_state(
            enrollment, state, by=admin, reason="set-up"
        )
    if activity:
        enrollment = enrollment_services.enrollment_record_progress(
            enrollment, last_activity_at=activity, by=admin, reason="set-up"
        )
    return enrollment


@pytest.fixture
def pair(make_user):
    return make_user(username="jo.smith"), make_user(username="jsmith2")


def test_merge_moves_rows_and_blocks_sign_in_of_the_other(pair, course, admin_user):
    primary, other = pair
    moved = enrol(other, course, admin_user)
    segment = services.segment_create(name="Nurses", by=admin_user, reason="set-up")
    services.segment_add_members(
        segment, User.objects.filter(pk=other.pk), by=admin_user, reason="set-up"
    )
    token, _ = token_create(other, by=admin_user, reason="set-up")

    merge = services.users_merge(primary=primary, others=[other], by=admin_user, reason=REASON)

    assert Enrollment.objects.get(pk=moved.pk).user_id == primary.pk
    assert SegmentMembership.objects.get(segment=segment).user_id == primary.pk
    token.refresh_from_db()
    assert token.user_id == primary.pk
    other.refresh_from_db()
    assert other.status == UserStatus.DELETED
    assert authenticate(username=other.username, password=PASSWORD) is None
    kinds = set(MergeJournalEntry.objects.filter(merge=merge).values_list("kind", flat=True))
    assert kinds == {
        MergeJournalKind.ENROLMENT_MOVED,
        MergeJournalKind.MEMBERSHIP_MOVED,
        MergeJournalKind.TOKEN_MOVED,
    }
    moved_history = Enrollment.history.filter(id=moved.pk).latest("history_date")
    assert (moved_history.history_user_id, moved_history.history_change_reason) == (
        admin_user.pk,
        REASON,
    )
    other_history = User.history.filter(id=other.pk).latest("history_date")
    assert other_history.status == UserStatus.DELETED
    assert other_history.history_change_reason == REASON


def test_conflict_winner_by_state_then_activity_and_loser_kept(pair, course, admin_user):
    primary, other = pair
    kept = enrol(primary, course, admin_user, EnrollmentState.ACTIVE)
    wins = enrol(other, course, admin_user, EnrollmentState.COMPLETED)
    certificate = enrollment_services.certificate_issue(wins, by=admin_user, reason="set-up")
    loser_certificate = Certificate.objects.create(enrollment=kept)

    plan = services.merge_plan(primary=primary, others=[other], by=admin_user)
    assert [(c.winner.pk, [loser.pk for loser in c.losers]) for c in plan.conflicts] == [
        (wins.pk, [kept.pk])
    ]
    assert plan.conflicts[0].why == "Completed beats Active"

    merge = services.users_merge(primary=primary, others=[other], by=admin_user, reason=REASON)

    assert not Enrollment.objects.filter(pk=kept.pk).exists()
    assert Enrollment.objects.get(pk=wins.pk).user_id == primary.pk
    set_aside = MergeJournalEntry.objects.get(
        merge=merge, kind=MergeJournalKind.ENROLMENT_SET_ASIDE
    )
    assert (set_aside.row_id, set_aside.from_user_id) == (kept.pk, primary.pk)
    assert set_aside.before["state"] == EnrollmentState.ACTIVE
    loser_certificate.refresh_from_db()
    assert loser_certificate.enrollment_id == wins.pk
    certificate.refresh_from_db()
    assert certificate.enrollment_id == wins.pk

    report = services.merge_undo(merge, by=admin_user, reason="Wrong person")

    restored = Enrollment.objects.get(pk=kept.pk)
    assert (restored.user_id, restored.state) == (primary.pk, EnrollmentState.ACTIVE)
    assert Enrollment.objects.get(pk=wins.pk).user_id == other.pk
    loser_certificate.refresh_from_db()
    assert loser_certificate.enrollment_id == kept.pk
    assert report.count("enrolment (set aside)") == 1
    assert report.count("enrolment") == 1


def test_same_state_most_recent_activity_wins(pair, course, admin_user):
    primary, other = pair
    now = timezone.now()
    enrol(primary, course, admin_user, activity=now - timedelta(days=9))
    recent = enrol(other, course, admin_user, activity=now - timedelta(days=1))
    plan = services.merge_plan(primary=primary, others=[other], by=admin_user)
    assert plan.conflicts[0].winner.pk == recent.pk


def test_undo_restores_every_table_and_sign_in(pair, course, admin_user):
    primary, other = pair
    enrol(other, course, admin_user, EnrollmentState.INVITED)
    enrol(primary, course, admin_user, EnrollmentState.INACTIVE)
    services.users_mark_for_deletion(
        User.objects.filter(pk=other.pk), by=admin_user, reason="set-up"
    )
    before = table_snapshot()

    merge = services.users_merge(
        primary=primary, others=[other], by=admin_user, reason=REASON, keep_sign_in_names=True
    )
    assert authenticate(username=other.username, password=PASSWORD) == primary
    report = services.merge_undo(merge, by=admin_user, reason="Wrong person")

    after = table_snapshot()
    assert after["enrollments.enrollment"] == before["enrollments.enrollment"]
    assert after == before
    assert [account.pk for account in report.accounts] == [other.pk]
    assert not SignInName.objects.exists()
    assert authenticate(username=other.username, password=PASSWORD) == other


def test_what_the_primary_gained_after_the_merge_stays(pair, course, admin_user):
    primary, other = pair
    enrol(other, course, admin_user)
    merge = services.users_merge(primary=primary, others=[other], by=admin_user, reason=REASON)
    later_course = enrollment_services.course_create(
        code="LATER", name="Later", by=admin_user, reason="set-up"
    )
    later = enrol(primary, later_course, admin_user)
    services.merge_undo(merge, by=admin_user, reason="Wrong person")
    assert Enrollment.objects.get(pk=later.pk).user_id == primary.pk


def test_figures_equal_direct_counts_after_merge_and_undo(pair, course, admin_user):
    primary, other = pair
    enrol(primary, course, admin_user, EnrollmentState.ACTIVE)
    enrol(other, course, admin_user, EnrollmentState.COMPLETED)
    other_course = enrollment_services.course_create(
        code="OTHER", name="Other", by=admin_user, reason="set-up"
    )
    enrol(other, other_course, admin_user)
    services.user_deactivate(other, by=admin_user, reason="set-up")

    def assert_equal():
        for filters in ({}, {"course": course}):
            assert list(analytics(person=admin_user, filters=filters).rows()) == list(
                analytics_scan(person=admin_user, filters=filters).rows()
            )

    merge = services.users_merge(primary=primary, others=[other], by=admin_user, reason=REASON)
    assert_equal()
    services.merge_undo(merge, by=admin_user, reason="Wrong person")
    assert_equal()


# Bad input: a clear message, nothing changed ----------------------------------------------


def assert_refused(message_part, **kwargs):
    before = table_snapshot()
    with pytest.raises(DomainError) as error:
        services.users_merge(reason=REASON, **kwargs)
    assert message_part in error.value.message
    assert table_snapshot() == before
    return error.value


def test_merge_into_itself_is_refused(pair, admin_user):
    primary, _ = pair
    assert_refused("cannot be merged into itself", primary=primary, others=[primary], by=admin_user)


def test_merge_with_a_deleted_or_anonymised_account_is_refused(pair, admin_user):
    primary, other = pair
    services.user_delete(other, by=admin_user, reason="set-up")
    other.refresh_from_db()
    assert_refused("is deleted", primary=primary, others=[other], by=admin_user)
    User.objects.filter(pk=primary.pk).update(anonymised_at=timezone.now())
    primary.refresh_from_db()
    assert_refused("anonymised", primary=primary, others=[other], by=admin_user)


def test_power_user_cannot_merge_across_organisations(make_user, power_user, partner):
    ours = make_user(organisation=partner)
    theirs = make_user()
    error = assert_refused("another organisation", primary=ours, others=[theirs], by=power_user)
    assert isinstance(error, NotPermitted)


def test_policy_forbids_sis_with_self_registered(make_user, organisation, admin_user):
    organisation.forbid_merging_sis_with_self_registered = True
    organisation.save()
    sis = make_user(sis_user_id="S-100")
    own = make_user()
    assert_refused(
        "does not allow merging an SIS account", primary=sis, others=[own], by=admin_user
    )


def test_undo_twice_is_refused(pair, admin_user):
    primary, other = pair
    merge = services.users_merge(primary=primary, others=[other], by=admin_user, reason=REASON)
    services.merge_undo(merge, by=admin_user, reason="Wrong person")
    before = table_snapshot()
    with pytest.raises(DomainError, match="already undone"):
        services.merge_undo(merge, by=admin_user, reason="Again")
    assert table_snapshot() == before


def test_undo_after_a_secondary_was_anonymised_is_refused(pair, admin_user):
    primary, other = pair
    merge = services.users_merge(primary=primary, others=[other], by=admin_user, reason=REASON)
    User.objects.filter(pk=other.pk).update(anonymised_at=timezone.now())
    before = table_snapshot()
    with pytest.raises(DomainError, match="anonymised"):
        services.merge_undo(merge, by=admin_user, reason="Wrong person")
    assert table_snapshot() == before
    assert MergeAccount.objects.filter(merge=merge).count() == 1


def test_erasure_hook_lists_the_journal_copies(pair, course, admin_user):
    primary, other = pair
    enrol(primary, course, admin_user)
    enrol(other, course, admin_user, EnrollmentState.COMPLETED)
    services.users_merge(primary=primary, others=[other], by=admin_user, reason=REASON)
    copies = services.merge_journal_of(primary.pk)
    assert copies["journal"].filter(before__isnull=False).count() == 1
    assert services.merge_journal_of(other.pk)["accounts"].count() == 1


# A merged-away account comes back only by undoing the merge -------------------------------


def _merged(pair, admin_user):
    primary, other = pair
    merge = services.users_merge(primary=primary, others=[other], by=admin_user, reason=REASON)
    other.refresh_from_db()
    return merge, other


def _refused_unchanged(call):
    before = table_snapshot()
    with pytest.raises(DomainError) as error:
        call()
    assert table_snapshot() == before
    return error.value.message


def test_a_merged_away_account_cannot_be_undeleted_or_reactivated_by_hand(pair, admin_user):
    merge, other = _merged(pair, admin_user)
    day = f"{timezone.localtime(merge.created_at):%d %b %Y}"
    calls = {
        "undelete": lambda: services.user_undelete(other, by=admin_user, reason="Back"),
        "reactivate": lambda: services.user_reactivate(other, by=admin_user, reason="Back"),
        "bulk undelete": lambda: services.users_undelete(
            User.objects.filter(pk=other.pk), by=admin_user, reason="Back"
        ),
        "import": lambda: services.users_undelete(
            User.objects.filter(pk=other.pk), by=admin_user, reason="Import", to_status="active"
        ),
        "revert": lambda: services.user_revert_change(
            other, other.history.latest("history_id").history_id, by=admin_user, reason="Back"
        ),
    }
    for door, call in calls.items():
        message = _refused_unchanged(call)
        assert f"jsmith2 was merged into jo.smith on {day}" in message, door
        page = f"/admin/users/merges/{merge.pk}/"
        assert f"undo that merge (merge {merge.pk}, on {page})" in message, door
    services.merge_undo(merge, by=admin_user, reason="Wrong person")
    other.refresh_from_db()
    assert other.status == UserStatus.ACTIVE  # the way back works


def test_an_undone_merge_no_longer_blocks_a_later_undelete(pair, admin_user):
    merge, other = _merged(pair, admin_user)
    services.merge_undo(merge, by=admin_user, reason="Wrong person")
    services.user_delete(other, by=admin_user, reason="Left")
    services.user_undelete(other, by=admin_user, reason="Came back")
    other.refresh_from_db()
    assert other.status == UserStatus.ACTIVE


def test_a_power_user_is_not_told_the_name_of_a_primary_outside_their_organisation(
    make_user, partner, power_user, admin_user
):
    ours = make_user(username="partner.jo", organisation=partner)
    theirs = make_user(username="acme.jo")
    services.users_merge(primary=theirs, others=[ours], by=admin_user, reason=REASON)
    message = _refused_unchanged(lambda: services.user_undelete(ours, by=power_user, reason="Back"))
    assert "partner.jo was merged into another account on" in message
    assert "a training admin can get it back by undoing that merge" in message
    assert "acme.jo" not in message and "/merges/" not in message
