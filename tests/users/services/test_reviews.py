"""Reviews of dormant accounts through their services: lists, policy, apply, delegated
scheduled reviews, deadlines, notices and the cron command."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from lms_admin.plumbing.errors import DomainError, NotPermitted
from lms_admin.plumbing.scoping import MANAGER, POWER_USER, TRAINING_ADMIN
from tests.users.reviews_helpers import age, start_course
from users import services
from users.models import (
    ReviewAction,
    ReviewCandidate,
    ReviewKind,
    ReviewOutcome,
    ReviewPolicy,
    ReviewRun,
    User,
    UserStatus,
)
from users.selectors.reviews import Criteria

pytestmark = pytest.mark.django_db

IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def people(make_user, course, admin_user):
    never = age(make_user(username="never"), joined_days_ago=400)
    dormant = age(make_user(username="dormant"), joined_days_ago=900, signed_in_days_ago=600)
    start_course(dormant, course, admin_user)
    recent = age(make_user(username="recent"), joined_days_ago=400, signed_in_days_ago=5)
    young = age(make_user(username="young"), joined_days_ago=10)
    return {"never": never, "dormant": dormant, "recent": recent, "young": young}


def _start(by, **criteria):
    return services.review_run_start(
        kind=ReviewKind.MANUAL, criteria=Criteria(**criteria), by=by, reason="Quarterly audit"
    )


def _start_never_used(by):
    return services.review_run_start(
        kind=ReviewKind.NEVER_USED,
        criteria=Criteria(created_before=timezone.now() - timedelta(days=30)),
        by=by,
        reason="After the batch import",
    )


def _proposals(run):
    return dict(ReviewCandidate.objects.filter(run=run).values_list("user__username", "proposal"))


def test_a_review_lists_dormant_people_with_the_policy_proposal(people, admin_user):
    run = _start(admin_user)
    assert _proposals(run) == {"never": ReviewAction.DELETE, "dormant": ReviewAction.DEACTIVATE}
    assert run.candidate_count == 2


def test_marked_people_are_listed_and_people_with_activity_never_proposed_for_deletion(
    people, admin_user, course
):
    services.users_mark_for_deletion(
        User.objects.filter(username__in=["recent", "young"]), by=admin_user, reason="Import"
    )
    run = _start(admin_user)
    proposals = _proposals(run)
    assert proposals["recent"] == ReviewAction.DEACTIVATE  # signed in: activity
    assert proposals["young"] == ReviewAction.DELETE
    assert ReviewCandidate.objects.get(run=run, user__username="young").reason == "marked"


def test_applying_needs_the_download_and_the_typed_count(people, admin_user):
    run = _start(admin_user)
    with pytest.raises(DomainError, match="Download the list"):
        services.review_run_apply(run, typed_count="2", by=admin_user, reason="Audit")
    services.review_run_record_download(run, by=admin_user)
    with pytest.raises(DomainError, match="You typed 3, but this review lists 2 accounts"):
        services.review_run_apply(run, typed_count="3", by=admin_user, reason="Audit")
    statuses = set(User.objects.filter(username__in=["never", "dormant"]).values_list("status"))
    assert statuses == {(UserStatus.ACTIVE,)}


def test_applying_deletes_the_unused_and_deactivates_the_others_with_one_history_row_each(
    people, admin_user
):
    run = _start(admin_user)
    services.review_run_record_download(run, by=admin_user)
    outcome = services.review_run_apply(run, typed_count="2", by=admin_user, reason="Audit Q1")
    assert outcome == {"deleted": 1, "deactivated": 1, "kept_admin": 0}
    never, dormant = (User.objects.get(username=name) for name in ("never", "dormant"))
    assert never.status == UserStatus.DELETED
    assert dormant.status == UserStatus.INACTIVE
    for person in (never, dormant):
        latest = person.history.order_by("-history_id")
        assert latest[0].history_change_reason == "Audit Q1"
        assert latest[0].history_user_id == admin_user.pk
        assert latest.filter(history_change_reason="Audit Q1").count() == 1
    decisions = dict(
        ReviewCandidate.objects.filter(run=run).values_list("user__username", "decision")
    )
    assert decisions == {"never": "delete", "dormant": "deactivate"}
    run.refresh_from_db()
    assert run.outcome == ReviewOutcome.APPLIED and run.completed_by == admin_user


def test_a_review_applied_twice_is_refused_and_changes_nothing(people, admin_user, make_user):
    run = _start(admin_user)
    services.review_run_record_download(run, by=admin_user)
    services.review_run_apply(run, typed_count="2", by=admin_user, reason="Audit")
    rows = User.history.count()
    with pytest.raises(DomainError, match="already closed"):
        services.review_run_apply(run, typed_count="2", by=admin_user, reason="Audit")
    assert User.history.count() == rows


def test_someone_who_signed_in_since_the_review_was_taken_is_deactivated_not_deleted(
    people, admin_user
):
    run = _start(admin_user)
    services.review_run_record_download(run, by=admin_user)
    User.objects.filter(username="never").update(last_login=timezone.now())
    services.review_run_apply(run, typed_count="2", by=admin_user, reason="Audit")
    assert User.objects.get(username="never").status == UserStatus.INACTIVE


def test_never_used_deletion_lists_only_people_without_any_activity(
    people, admin_user, make_user, course
):
    enrolled = age(make_user(username="enrolled"), joined_days_ago=400)
    start_course(enrolled, course, admin_user)
    run = _start_never_used(admin_user)
    assert _proposals(run) == {"never": ReviewAction.DELETE}
    services.review_run_record_download(run, by=admin_user)
    services.review_run_apply(run, typed_count="1", by=admin_user, reason="Never used")
    assert User.objects.get(username="never").status == UserStatus.DELETED
    assert User.objects.get(username="enrolled").status == UserStatus.ACTIVE


# Scheduled reviews delegated to partner organisations ------------------------------------


@pytest.fixture
def partner_people(partner, power_user, make_user, admin_user):
    quiet = age(make_user(username="quiet", organisation=partner), joined_days_ago=400)
    away = age(
        make_user(username="away", organisation=partner),
        joined_days_ago=900,
        signed_in_days_ago=700,
    )
    retired = make_user(
        username="retired_power",
        email="retired@partner.example",
        organisation=partner,
        groups=[POWER_USER],
        is_staff=True,
    )
    services.user_deactivate(retired, by=admin_user, reason="Left")
    policy = ReviewPolicy.objects.create(organisation=partner, deadline_days=10)
    return {"quiet": quiet, "away": away, "policy": policy, "retired": retired}


def _schedule(policy, settings, captured):
    settings.TASKS = IMMEDIATE_TASKS
    with captured(execute=True):
        return services.review_run_schedule(policy)


def test_a_scheduled_review_lists_the_organisations_plain_accounts_and_mails_active_reviewers(
    people, partner_people, power_user, settings, django_capture_on_commit_callbacks
):
    run = _schedule(partner_people["policy"], settings, django_capture_on_commit_callbacks)
    assert set(_proposals(run)) == {"quiet", "away"}  # not org A's, not the power users
    assert run.deadline is not None and run.kind == ReviewKind.SCHEDULED
    assert [message.to for message in mail.outbox] == [[power_user.email]]
    assert f"/admin/users/review/{run.pk}/" in mail.outbox[0].body
    assert "quiet" not in mail.outbox[0].body  # the notice names nobody
    partner_people["policy"].refresh_from_db()
    assert partner_people["policy"].next_run_on > timezone.localdate()


def test_the_reviewer_keeps_or_deactivates_and_attests(
    partner_people, power_user, settings, django_capture_on_commit_callbacks
):
    run = _schedule(partner_people["policy"], settings, django_capture_on_commit_callbacks)
    quiet, away = partner_people["quiet"], partner_people["away"]
    services.review_candidates_decide(
        run, decision="keep", user_ids=[quiet.pk], by=power_user, reason="Still with us"
    )
    with pytest.raises(DomainError, match="1 people have no decision yet"):
        services.review_run_attest(run, by=power_user, reason="Done")
    services.review_candidates_decide(run, decision="deactivate", by=power_user, reason="Gone")
    services.review_run_attest(run, by=power_user, reason="Done")
    quiet.refresh_from_db()
    away.refresh_from_db()
    assert (quiet.status, away.status) == (UserStatus.ACTIVE, UserStatus.INACTIVE)
    decided = ReviewCandidate.objects.get(run=run, user=away)
    assert (decided.decision, decided.decided_by) == ("deactivate", power_user)
    run.refresh_from_db()
    assert run.outcome == ReviewOutcome.ATTESTED and run.completed_by == power_user


def test_a_reviewer_acting_after_the_deadline_is_refused(
    partner_people, power_user, settings, django_capture_on_commit_callbacks
):
    run = _schedule(partner_people["policy"], settings, django_capture_on_commit_callbacks)
    ReviewRun.objects.filter(pk=run.pk).update(deadline=timezone.now() - timedelta(hours=1))
    with pytest.raises(DomainError, match="deadline of this review passed"):
        services.review_candidates_decide(run, decision="deactivate", by=power_user, reason="")
    assert User.objects.get(username="away").status == UserStatus.ACTIVE


def test_a_power_user_cannot_reach_another_organisations_review(
    partner_people, admin_user, make_user, settings, django_capture_on_commit_callbacks
):
    run = _schedule(partner_people["policy"], settings, django_capture_on_commit_callbacks)
    other = make_user(username="other_power", groups=[POWER_USER], is_staff=True)
    with pytest.raises(NotPermitted):
        services.review_candidates_decide(run, decision="deactivate", by=other, reason="")
    assert not ReviewCandidate.objects.filter(run=run).exclude(decision="").exists()


def test_unanswered_review_deactivates_never_deletes_when_the_policy_says_so(
    partner_people, settings, django_capture_on_commit_callbacks
):
    policy = partner_people["policy"]
    policy.deactivate_when_unanswered = True
    policy.save()
    run = _schedule(policy, settings, django_capture_on_commit_callbacks)
    later = timezone.now() + timedelta(days=11)
    with django_capture_on_commit_callbacks(execute=True):
        services.review_runs_tick(now=later)
    statuses = dict(
        User.objects.filter(username__in=["quiet", "away"]).values_list("username", "status")
    )
    assert statuses == {"quiet": UserStatus.INACTIVE, "away": UserStatus.INACTIVE}
    run.refresh_from_db()
    assert run.outcome == ReviewOutcome.DEFAULTED


def test_unanswered_review_tells_the_active_training_admins_otherwise(
    partner_people, admin_user, settings, django_capture_on_commit_callbacks
):
    run = _schedule(partner_people["policy"], settings, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.review_runs_tick(now=timezone.now() + timedelta(days=11))
    assert User.objects.get(username="quiet").status == UserStatus.ACTIVE
    run.refresh_from_db()
    assert run.outcome == ReviewOutcome.ESCALATED
    assert [message.to for message in mail.outbox] == [[admin_user.email]]


def test_a_reminder_goes_once_before_the_deadline_and_never_to_inactive_people(
    partner_people, power_user, settings, django_capture_on_commit_callbacks
):
    _schedule(partner_people["policy"], settings, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    soon = timezone.now() + timedelta(days=8)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            services.review_runs_tick(now=soon)
    assert [message.to for message in mail.outbox] == [[power_user.email]]
    assert mail.outbox[0].subject.startswith("Reminder:")
    assert partner_people["retired"].email not in str([m.to for m in mail.outbox])


def test_run_reviews_dry_run_prints_what_it_would_do_and_changes_nothing(partner_people):
    out = StringIO()
    call_command("run_reviews", "--dry-run", stdout=out)
    assert "Would start a review of Partner Ltd: 2 people." in out.getvalue()
    assert not ReviewRun.objects.exists()


def test_run_reviews_now_starts_the_due_reviews(partner_people, settings):
    settings.TASKS = IMMEDIATE_TASKS
    out = StringIO()
    call_command("run_reviews", "--now", stdout=out)
    assert "Started a review of Partner Ltd: 2 people." in out.getvalue()
    assert ReviewRun.objects.get().candidate_count == 2


def test_a_manager_cannot_start_a_review(manager):
    with pytest.raises(NotPermitted):
        _start(manager)


# Accounts with admin rights are never reviewed here -------------------------------------


@pytest.fixture
def dormant_admins(make_user, partner, admin_user):
    """Dormant accounts with each kind of admin rights, beside a dormant plain learner."""
    accounts = {
        "staff_only": {"is_staff": True},
        "super": {"is_staff": True},
        "trainer2": {"is_staff": True, "groups": [TRAINING_ADMIN]},
        "boss": {"is_staff": True, "groups": [MANAGER]},
        "partner_power": {"is_staff": True, "groups": [POWER_USER], "organisation": partner},
    }
    for username, rights in accounts.items():
        age(make_user(username=username, **rights), joined_days_ago=400)
    superuser = User.objects.get(username="super")
    services.user_update(superuser, is_superuser=True, by=admin_user, reason="Test set-up")
    return age(make_user(username="plain"), joined_days_ago=400)


def test_a_review_leaves_out_every_account_with_admin_rights(dormant_admins, admin_user):
    run = _start(admin_user)
    assert _proposals(run) == {"plain": ReviewAction.DELETE}
    never_used = _start_never_used(admin_user)
    assert _proposals(never_used) == {"plain": ReviewAction.DELETE}


def _grant_staff(person, by):
    return services.user_update(person, is_staff=True, by=by, reason="Now helps with training")


def test_applying_a_review_leaves_an_account_that_gained_admin_rights_as_it_is(people, admin_user):
    run = _start(admin_user)
    _grant_staff(people["never"], admin_user)
    services.review_run_record_download(run, by=admin_user)
    outcome = services.review_run_apply(run, typed_count="2", by=admin_user, reason="Audit")
    assert outcome == {"deleted": 0, "deactivated": 1, "kept_admin": 1}
    assert User.objects.get(username="never").status == UserStatus.ACTIVE
    assert User.objects.get(username="dormant").status == UserStatus.INACTIVE
    kept = ReviewCandidate.objects.get(run=run, user__username="never")
    assert kept.decision == ReviewAction.KEEP


def test_a_reviewer_cannot_deactivate_an_account_with_admin_rights_even_by_its_id(
    partner_people, power_user, admin_user, settings, django_capture_on_commit_callbacks
):
    run = _schedule(partner_people["policy"], settings, django_capture_on_commit_callbacks)
    quiet, away = partner_people["quiet"], partner_people["away"]
    _grant_staff(quiet, admin_user)
    with pytest.raises(DomainError, match="quiet has admin rights"):
        services.review_candidates_decide(
            run, decision="deactivate", user_ids=[quiet.pk, away.pk], by=power_user, reason="x"
        )
    assert set(User.objects.filter(pk__in=[quiet.pk, away.pk]).values_list("status")) == {
        (UserStatus.ACTIVE,)
    }
    assert not ReviewCandidate.objects.filter(run=run).exclude(decision="").exists()
    services.review_candidates_decide(run, decision="deactivate", by=power_user, reason="Gone")
    services.review_run_attest(run, by=power_user, reason="Done")
    quiet.refresh_from_db()
    away.refresh_from_db()
    assert (quiet.status, away.status) == (UserStatus.ACTIVE, UserStatus.INACTIVE)


def test_the_safe_default_never_deactivates_an_account_with_admin_rights(
    partner_people, admin_user, settings, django_capture_on_commit_callbacks
):
    policy = partner_people["policy"]
    policy.deactivate_when_unanswered = True
    policy.save()
    run = _schedule(policy, settings, django_capture_on_commit_callbacks)
    _grant_staff(partner_people["quiet"], admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        services.review_runs_tick(now=timezone.now() + timedelta(days=11))
    statuses = dict(
        User.objects.filter(username__in=["quiet", "away"]).values_list("username", "status")
    )
    assert statuses == {"quiet": UserStatus.ACTIVE, "away": UserStatus.INACTIVE}
    decisions = dict(
        ReviewCandidate.objects.filter(run=run).values_list("user__username", "decision")
    )
    assert decisions == {"quiet": ReviewAction.KEEP, "away": ReviewAction.DEACTIVATE}
