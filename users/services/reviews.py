"""Reviews of dormant accounts: start one (by hand, or on an organisation's schedule), apply
it, let a partner's reviewer keep or deactivate each person and attest it done, remind
them, and apply the safe default when nobody answers.

Every change of a person goes through the lifecycle's bulk services (one history row each,
set-based); the review itself records who decided what and when. A review never deletes a
person with activity, and an unanswered review never deletes anyone. An account with admin
rights is never changed by a review: one that gained its rights after the review was taken
is kept as it is, and a reviewer who asks to deactivate it by its id is refused.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from lms_admin.plumbing.errors import DomainError, NotPermitted
from lms_admin.plumbing.history import create_with_history, save_with_history
from lms_admin.plumbing.scoping import (
    POWER_USER,
    TRAINING_ADMIN,
    admin_account_condition,
    organisation_tree_ids,
    role_of,
)
from users.models import (
    ReviewAction,
    ReviewCadence,
    ReviewCandidate,
    ReviewKind,
    ReviewOutcome,
    ReviewPolicy,
    ReviewRun,
    User,
    UserStatus,
)
from users.selectors.card import has_activity_condition
from users.selectors.reviews import (
    Criteria,
    candidates,
    organisation_people,
    reviewable_people,
)
from users.services.common import _training_admins
from users.services.lifecycle import users_deactivate, users_delete

CADENCE_MONTHS = {ReviewCadence.MONTHLY: 1, ReviewCadence.QUARTERLY: 3, ReviewCadence.YEARLY: 12}


def _refuse_unless_reviewer(by) -> None:
    if by is not None and role_of(by) not in (TRAINING_ADMIN, POWER_USER):
        raise NotPermitted("Only training admins and power users can review accounts.")


def _refuse_out_of_reach(run: ReviewRun, by) -> None:
    if by is not None and not ReviewRun.objects.for_user(by).filter(pk=run.pk).exists():
        raise NotPermitted("No such review, or it belongs to another organisation.")


def _lock_run(run: ReviewRun) -> ReviewRun:
    return ReviewRun.objects.select_for_update().get(pk=run.pk)


def _refuse_closed(run: ReviewRun) -> None:
    if run.completed_at is not None:
        who = run.completed_by.get_full_name() if run.completed_by else "the scheduled task"
        raise DomainError(
            f"This review was already closed ({run.get_outcome_display().lower()}) on "
            f"{timezone.localtime(run.completed_at):%d %b %Y at %H:%M} by {who}. "
            "Nothing was changed."
        )


def _refuse_past_deadline(run: ReviewRun, now) -> None:
    if run.deadline is not None and now > run.deadline:
        raise DomainError(
            f"The deadline of this review passed on {timezone.localtime(run.deadline):%d %b %Y}. "
            "Nothing was changed; a training admin can start a new review."
        )


def _plain_accounts(user_ids) -> QuerySet:
    """The people of `user_ids` without admin rights: the only ones a review changes."""
    return User.objects.filter(id__in=user_ids).exclude(admin_account_condition())


def _admin_account_ids() -> QuerySet:
    return User.objects.filter(admin_account_condition()).values("pk")


def _keep_admin_accounts(run: ReviewRun, now) -> int:
    """Accounts with admin rights are not reviewed here. One still undecided in the review
    (it gained its rights after the review was taken) is kept as it is, decided by nobody.
    Returns how many."""
    return ReviewCandidate.objects.filter(
        run=run,
        decision="",
        user_id__in=_admin_account_ids(),
    ).update(decision=ReviewAction.KEEP, decided_at=now, decided_by=None)


def _refuse_admin_accounts(run: ReviewRun, user_ids) -> None:
    """Deactivating an account with admin rights by its id is refused, nothing changed."""
    named = list(
        User.objects.filter(id__in=user_ids, review_candidacies__run=run)
        .filter(admin_account_condition())
        .order_by("username")
        .values_list("username", flat=True)[:6]
    )
    if not named:
        return
    who = ", ".join(named[:5]) + (" and others" if len(named) > 5 else "")
    verb = "has" if len(named) == 1 else "have"
    raise DomainError(
        f"{who} {verb} admin rights. Accounts with admin rights are not reviewed here and "
        "cannot be deactivated from a review; untick them, or ask a training admin. "
        "Nothing was changed."
    )


def _insert_candidates(run: ReviewRun, people, criteria: Criteria, now) -> int:
    """Copy the candidates into the review in one INSERT … SELECT (the columns come in
    the order of `values()`: id, reason, proposal)."""
    query = candidates(people, criteria, now=now).values("pk", "review_reason", "proposal")
    sql, params = query.order_by().query.sql_with_params()
    table = connection.ops.quote_name(ReviewCandidate._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (run_id, user_id, reason, proposal, decision) "
            f"SELECT %s, listed.*, '' FROM ({sql}) listed",
            [run.pk, *params],
        )
        return cursor.rowcount


@transaction.atomic
def review_run_start(
    *,
    kind: str,
    criteria: Criteria,
    by,
    reason: str,
    organisation=None,
    deadline=None,
    now=None,
) -> ReviewRun:
    """A review with its candidates taken now. An admin's review lists whom they may change
    (a power user: their organisation's plain accounts); a scheduled one, the
    organisation's plain accounts."""
    _refuse_unless_reviewer(by)
    now = now or timezone.now()
    if kind == ReviewKind.SCHEDULED:
        people = organisation_people(organisation_tree_ids(organisation.pk))
    else:
        people = reviewable_people(by)
        if organisation is not None:
            people = people.filter(organisation_id__in=organisation_tree_ids(organisation.pk))
    if organisation is None and role_of(by) == POWER_USER:
        organisation = by.organisation
    run = create_with_history(
        ReviewRun,
        by=by,
        reason=reason,
        kind=kind,
        organisation=organisation,
        criteria=criteria.as_json(),
        started_at=now,
        started_by=by,
        deadline=deadline,
    )
    run.candidate_count = _insert_candidates(run, people, criteria, now)
    ReviewRun.objects.filter(pk=run.pk).update(candidate_count=run.candidate_count)
    return run


@transaction.atomic
def review_run_record_download(run: ReviewRun, *, by) -> ReviewRun:
    """The admin downloaded the list: applying is allowed from now on."""
    _refuse_out_of_reach(run, by)
    locked = _lock_run(run)
    if locked.completed_at is None:
        locked.downloaded_at = timezone.now()
        locked.downloaded_by = by
        save_with_history(
            locked, ["downloaded_at", "downloaded_by"], by=by, reason="Review list downloaded"
        )
    return locked


@transaction.atomic
def review_run_apply(run: ReviewRun, *, typed_count, by, reason: str) -> dict[str, int]:
    """Apply the policy to everyone in the review: delete those without activity, deactivate
    those with. Activity is checked again now: someone who signed in since the review was
    taken is deactivated, never deleted; one who gained admin rights since is kept as they
    are (`kept_admin`). Needs the list downloaded and its size typed."""
    _refuse_unless_reviewer(by)
    _refuse_out_of_reach(run, by)
    locked = _lock_run(run)
    _refuse_closed(locked)
    if locked.kind == ReviewKind.SCHEDULED:
        raise DomainError(
            "A scheduled review is answered person by person (keep or deactivate), "
            "then attested; it is not applied as a whole."
        )
    if locked.downloaded_at is None:
        raise DomainError(
            "Download the list (CSV) first, so that you keep a copy. Nothing was changed."
        )
    try:
        typed = int(str(typed_count).replace(",", "").strip())
    except ValueError:
        typed = None
    if typed != locked.candidate_count:
        raise DomainError(
            f"You typed {typed_count or 'nothing'}, but this review lists "
            f"{locked.candidate_count:,} accounts. Type the number shown to apply it. "
            "Nothing was changed."
        )
    now = timezone.now()
    kept_admin = _keep_admin_accounts(locked, now)
    pending = ReviewCandidate.objects.filter(run=locked, decision="")
    listed = _plain_accounts(pending.values("user_id"))
    to_delete = listed.filter(
        review_candidacies__run=locked, review_candidacies__proposal=ReviewAction.DELETE
    ).exclude(has_activity_condition())
    delete_ids = list(to_delete.values_list("id", flat=True))
    deleted = users_delete(User.objects.filter(id__in=delete_ids), by=by, reason=reason)
    deactivated = users_deactivate(listed.exclude(id__in=delete_ids), by=by, reason=reason)
    pending.filter(user_id__in=delete_ids).update(
        decision=ReviewAction.DELETE, decided_at=now, decided_by=by
    )
    pending.exclude(user_id__in=delete_ids).update(
        decision=ReviewAction.DEACTIVATE, decided_at=now, decided_by=by
    )
    _close(locked, ReviewOutcome.APPLIED, by=by, reason=reason, now=now)
    return {
        "deleted": deleted.changed,
        "deactivated": deactivated.changed,
        "kept_admin": kept_admin,
    }


def _close(run: ReviewRun, outcome: str, *, by, reason: str, now) -> None:
    run.outcome = outcome
    run.completed_at = now
    run.completed_by = by
    save_with_history(run, ["outcome", "completed_at", "completed_by"], by=by, reason=reason)


@transaction.atomic
def review_candidates_decide(
    run: ReviewRun, *, decision: str, by, reason: str, user_ids=None
) -> int:
    """The reviewer keeps or deactivates the people not yet decided (those of `user_ids`,
    or all of them). Returns how many were decided. Accounts with admin rights are kept as
    they are; naming one in `user_ids` to deactivate it is refused."""
    _refuse_unless_reviewer(by)
    _refuse_out_of_reach(run, by)
    if decision not in (ReviewAction.KEEP, ReviewAction.DEACTIVATE):
        raise DomainError("A reviewer keeps or deactivates people; deleting is not offered here.")
    locked = _lock_run(run)
    _refuse_closed(locked)
    now = timezone.now()
    _refuse_past_deadline(locked, now)
    if user_ids is not None:
        user_ids = list(user_ids)
        if decision == ReviewAction.DEACTIVATE:
            _refuse_admin_accounts(locked, user_ids)
    _keep_admin_accounts(locked, now)
    pending = ReviewCandidate.objects.filter(run=locked, decision="")
    if user_ids is not None:
        pending = pending.filter(user_id__in=user_ids)
    ids = list(pending.values_list("user_id", flat=True))
    if not ids:
        return 0
    if decision == ReviewAction.DEACTIVATE:
        users_deactivate(_plain_accounts(ids), by=by, reason=reason)
    ReviewCandidate.objects.filter(run=locked, user_id__in=ids).update(
        decision=decision, decided_at=now, decided_by=by
    )
    return len(ids)


@transaction.atomic
def review_run_attest(run: ReviewRun, *, by, reason: str) -> ReviewRun:
    """The reviewer says the review is done: everyone has a decision."""
    _refuse_unless_reviewer(by)
    _refuse_out_of_reach(run, by)
    locked = _lock_run(run)
    _refuse_closed(locked)
    now = timezone.now()
    _refuse_past_deadline(locked, now)
    _keep_admin_accounts(locked, now)
    undecided = ReviewCandidate.objects.filter(run=locked, decision="").count()
    if undecided:
        raise DomainError(
            f"{undecided:,} people have no decision yet: keep or deactivate them first. "
            "Nothing was changed."
        )
    _close(locked, ReviewOutcome.ATTESTED, by=by, reason=reason, now=now)
    return locked


# The schedule ---------------------------------------------------------------------------


def _months_later(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def policy_criteria(policy: ReviewPolicy) -> Criteria:
    return Criteria(
        never_signed_in_days=policy.never_signed_in_days,
        no_sign_in_days=policy.no_sign_in_days,
        include_marked=policy.include_marked,
    )


def due_policies(now) -> list[ReviewPolicy]:
    today = timezone.localdate(now)
    return list(
        ReviewPolicy.objects.filter(enabled=True)
        .filter(Q(next_run_on__isnull=True) | Q(next_run_on__lte=today))
        .select_related("organisation")
        .order_by("organisation__name")
    )


def reminders_due(now) -> list[ReviewRun]:
    runs = ReviewRun.objects.filter(
        kind=ReviewKind.SCHEDULED,
        completed_at__isnull=True,
        reminded_at__isnull=True,
        deadline__gt=now,
    ).select_related("organisation__review_policy")
    return [
        run for run in runs if run.deadline - timedelta(days=_policy_of(run).reminder_days) <= now
    ]


def expired_runs(now) -> list[ReviewRun]:
    return list(
        ReviewRun.objects.filter(
            kind=ReviewKind.SCHEDULED, completed_at__isnull=True, deadline__lte=now
        ).select_related("organisation__review_policy")
    )


def _policy_of(run: ReviewRun) -> ReviewPolicy:
    policy = getattr(run.organisation, "review_policy", None) if run.organisation else None
    return policy or ReviewPolicy(organisation=run.organisation)


@transaction.atomic
def review_run_schedule(policy: ReviewPolicy, *, now=None) -> ReviewRun:
    """Start the organisation's scheduled review, tell its reviewers, and set the next date."""
    now = now or timezone.now()
    run = review_run_start(
        kind=ReviewKind.SCHEDULED,
        criteria=policy_criteria(policy),
        organisation=policy.organisation,
        deadline=now + timedelta(days=policy.deadline_days),
        by=None,
        reason="Scheduled review",
        now=now,
    )
    policy.next_run_on = _months_later(timezone.localdate(now), CADENCE_MONTHS[policy.cadence])
    save_with_history(policy, ["next_run_on"], by=None, reason="Scheduled review started")
    if run.candidate_count:
        _notify_on_commit(run.pk, "started")
    return run


@transaction.atomic
def review_run_remind(run: ReviewRun, *, now=None) -> None:
    locked = _lock_run(run)
    if locked.completed_at is not None or locked.reminded_at is not None:
        return
    locked.reminded_at = now or timezone.now()
    save_with_history(locked, ["reminded_at"], by=None, reason="Reminder sent")
    _notify_on_commit(locked.pk, "reminder")


@transaction.atomic
def review_run_expire(run: ReviewRun, *, now=None) -> str:
    """The deadline passed unanswered. The safe default: deactivate the people not yet
    decided (never an account with admin rights), never delete, and only when the policy
    says so; otherwise tell the training admins. Returns the outcome."""
    now = now or timezone.now()
    locked = _lock_run(run)
    if locked.completed_at is not None:
        return locked.outcome
    policy = _policy_of(locked)
    _keep_admin_accounts(locked, now)
    pending = ReviewCandidate.objects.filter(run=locked, decision="")
    reason = "Review unanswered by its deadline: the policy deactivates"
    if policy.deactivate_when_unanswered:
        ids = list(pending.values_list("user_id", flat=True))
        users_deactivate(_plain_accounts(ids), by=None, reason=reason)
        pending.update(decision=ReviewAction.DEACTIVATE, decided_at=now, decided_by=None)
        _close(locked, ReviewOutcome.DEFAULTED, by=None, reason=reason, now=now)
    else:
        _close(locked, ReviewOutcome.ESCALATED, by=None, reason="Review unanswered", now=now)
        _notify_on_commit(locked.pk, "escalated")
    return locked.outcome


def review_runs_tick(*, now=None, dry_run: bool = False) -> list[str]:
    """What the scheduled task does: start due reviews, remind, apply deadlines. Returns a
    line per thing done (or, in a dry run, that would be done)."""
    now = now or timezone.now()
    lines = []
    for policy in due_policies(now):
        if dry_run:
            people = organisation_people(organisation_tree_ids(policy.organisation_id))
            count = candidates(people, policy_criteria(policy), now=now).count()
            lines.append(f"Would start a review of {policy.organisation}: {count:,} people.")
        else:
            run = review_run_schedule(policy, now=now)
            lines.append(
                f"Started a review of {policy.organisation}: {run.candidate_count:,} people."
            )
    for run in reminders_due(now):
        verb = "Would remind" if dry_run else "Reminded"
        if not dry_run:
            review_run_remind(run, now=now)
        lines.append(f"{verb} the reviewers of {run.organisation} (review #{run.pk}).")
    for run in expired_runs(now):
        policy = _policy_of(run)
        undecided = (
            ReviewCandidate.objects.filter(run=run, decision="")
            .exclude(user_id__in=_admin_account_ids())
            .count()
        )
        if dry_run:
            what = (
                f"would deactivate {undecided:,} undecided people"
                if policy.deactivate_when_unanswered
                else "would tell the training admins"
            )
            lines.append(f"Review #{run.pk} of {run.organisation} is past its deadline: {what}.")
        else:
            outcome = review_run_expire(run, now=now)
            lines.append(
                f"Review #{run.pk} of {run.organisation} was past its deadline: "
                f"{dict(ReviewOutcome.choices)[outcome].lower()}."
            )
    return lines


# Notices --------------------------------------------------------------------------------


def _notify_on_commit(run_id: int, notice: str) -> None:
    def enqueue():
        from users.tasks import send_review_notice

        send_review_notice.enqueue(run_id, notice)

    transaction.on_commit(enqueue)


def review_reviewers(run: ReviewRun):
    """Who reviews: the policy's reviewer, else the organisation's power users; only active
    people with an email (a notice never goes to an inactive or deleted person)."""
    policy = _policy_of(run)
    people = User.objects.filter(status=UserStatus.ACTIVE, anonymised_at__isnull=True).exclude(
        email=""
    )
    if policy.reviewer_id:
        chosen = people.filter(pk=policy.reviewer_id)
        if chosen.exists():
            return chosen
    return people.filter(organisation_id=run.organisation_id, groups__name=POWER_USER).distinct()


def _run_url(run: ReviewRun) -> str:
    return f"{settings.SITE_URL}{reverse('users_review_run', args=[run.pk])}"


def review_notice_send(run_id: int, notice: str) -> int:
    """Mail the reviewers (or, for an unanswered review, the training admins). Returns how
    many people were written to. Holds no names of the people reviewed: only a link."""
    run = ReviewRun.objects.select_related("organisation").filter(pk=run_id).first()
    if run is None:
        return 0
    if notice == "escalated":
        recipients = _training_admins().exclude(email="")
        subject = f"Review of {run.organisation} was not answered"
        body = (
            f"The review of dormant accounts of {run.organisation} passed its deadline "
            f"without an answer. Its policy does not deactivate anyone by itself, so "
            f"{run.candidate_count:,} people are as they were. Look at it here:\n\n"
            f"{_run_url(run)}\n"
        )
    else:
        if run.completed_at is not None:
            return 0
        recipients = review_reviewers(run)
        deadline = timezone.localtime(run.deadline).strftime("%d %b %Y") if run.deadline else ""
        first = "Reminder: " if notice == "reminder" else ""
        subject = f"{first}Please review {run.organisation}'s dormant accounts by {deadline}"
        body = (
            f"Hello,\n\n{run.candidate_count:,} accounts of {run.organisation} have not been "
            "used for a long time. Please keep or deactivate each of them, then confirm the "
            f"review is done, by {deadline}:\n\n{_run_url(run)}\n"
        )
    addresses = sorted(set(recipients.values_list("email", flat=True)))
    for address in addresses:
        send_mail(subject, body, None, [address], fail_silently=False)
    return len(addresses)


@transaction.atomic
def review_policy_save(policy: ReviewPolicy, *, by, reason: str) -> ReviewPolicy:
    if role_of(by) != TRAINING_ADMIN:
        raise NotPermitted("Only a training admin can set an organisation's review policy.")
    if (
        policy.reviewer_id
        and not User.objects.filter(
            pk=policy.reviewer_id, organisation_id=policy.organisation_id
        ).exists()
        and role_of(policy.reviewer) != TRAINING_ADMIN
    ):
        raise DomainError("The reviewer must belong to the organisation or be a training admin.")
    policy._change_reason = reason
    policy._history_user = by
    policy.save()
    return policy
