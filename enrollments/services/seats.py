"""Seats and credits: what starting a course consumes, and topping up credits.

An organisation's seat is used by a person's first start of any course, once per person per
organisation, ever; a course with a credit cost spends its credits on each enrolment's
first start. Nothing is ever refunded (deactivating or deleting a person gives nothing
back). Every consumption and top-up is a row of the append-only ledger (SeatCreditEntry),
with who, when and why.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from enrollments.models import Enrollment, EnrollmentState, LedgerKind, SeatCreditEntry
from enrollments.selectors import seats_used
from lms_admin.plumbing.errors import DomainError, NotPermitted
from lms_admin.plumbing.history import insert_history_rows, save_with_history
from lms_admin.plumbing.scoping import TRAINING_ADMIN, role_of
from users.models import Organisation, UserStatus

START_REASON = "Started the course"


def contact_of(organisation: Organisation | None) -> str:
    """Whom a learner should contact, in words for a sentence."""
    if organisation is not None and organisation.contact:
        return organisation.contact
    return "your training administrator"


def _consume(enrollment: Enrollment, *, needs_seat: bool, by, reason: str, now) -> None:
    """Take the seat and the credits this start needs, under the organisation's lock (so
    that two starts at once cannot both take the last seat or the last credits)."""
    user, course = enrollment.user, enrollment.course
    organisation = Organisation.objects.select_for_update().get(pk=user.organisation_id)
    if needs_seat:
        # Looked at again under the lock: another tab may have taken it meanwhile.
        needs_seat = not SeatCreditEntry.objects.filter(
            organisation=organisation, user=user, kind=LedgerKind.SEAT
        ).exists()
    cost = course.credit_cost
    limit = organisation.seat_limit
    if needs_seat and limit is not None and seats_used(organisation) >= limit:
        raise DomainError(
            f"{organisation.name} has no seats left, so you cannot start this course yet. "
            f"Please contact {contact_of(organisation)}."
        )
    if cost and organisation.credit_balance < cost:
        raise DomainError(
            f"{organisation.name} does not have the {cost} credits this course needs. "
            f"Please contact {contact_of(organisation)}."
        )
    common = {
        "organisation": organisation,
        "user": user,
        "enrollment": enrollment,
        "course": course,
        "created_at": now,
        "created_by": by,
        "reason": reason,
    }
    if needs_seat:
        SeatCreditEntry(
            kind=LedgerKind.SEAT, balance_after=organisation.credit_balance, **common
        ).save()
    if cost:
        Organisation.objects.filter(pk=organisation.pk).update(
            credit_balance=F("credit_balance") - cost
        )
        SeatCreditEntry(
            kind=LedgerKind.CREDITS_SPENT,
            credits=-cost,
            balance_after=organisation.credit_balance - cost,
            **common,
        ).save()


@transaction.atomic
def enrollment_start(enrollment: Enrollment, *, by, reason: str = START_REASON) -> Enrollment:
    """A learner starts (or continues) a course. The first start uses the organisation's seat
    for this person if they have none there yet, and the course's credits; a start without
    a seat or credits left is refused with whom to contact. Starting again changes nothing."""
    locked = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("user", "course")
        .get(pk=enrollment.pk)
    )
    if locked.started_at is not None:
        return locked
    if locked.user.status != UserStatus.ACTIVE:
        raise DomainError("This account is not active.")
    if locked.state == EnrollmentState.INVITED:
        raise DomainError("Accept the invitation before you start the course.")
    if locked.state not in (EnrollmentState.ACTIVE, EnrollmentState.COMPLETED):
        raise DomainError("This enrolment is not open; ask your training administrator.")
    now = timezone.now()
    if locked.user.organisation_id is not None:
        needs_seat = not SeatCreditEntry.objects.filter(
            organisation_id=locked.user.organisation_id, user_id=locked.user_id, kind="seat"
        ).exists()
        if needs_seat or locked.course.credit_cost:
            try:
                with transaction.atomic():
                    _consume(locked, needs_seat=needs_seat, by=by, reason=reason, now=now)
            except IntegrityError as error:  # the constraints: a seat or credits taken twice
                raise DomainError("This course was started at the same time elsewhere.") from error
    locked.started_at = now
    locked.last_activity_at = now
    locked.updated_at = now
    save_with_history(
        locked, ["started_at", "last_activity_at", "updated_at"], by=by, reason=reason
    )
    enrollment.started_at = locked.started_at
    enrollment.last_activity_at = locked.last_activity_at
    return locked


@transaction.atomic
def enrollment_accept(enrollment: Enrollment, *, by, reason: str = "Accepted the invitation"):
    """A learner accepts an invitation: the enrolment becomes active (nothing consumed yet)."""
    from enrollments.services.enrollments import enrollment_set_state

    if enrollment.state != EnrollmentState.INVITED:
        return enrollment
    return enrollment_set_state(enrollment, EnrollmentState.ACTIVE, by=by, reason=reason)


# The most one top-up adds (a typing slip of a few zeros is refused, not booked), and the
# most a balance holds (a PostgreSQL integer column).
MAX_TOP_UP = 1_000_000
MAX_BALANCE = 2_147_483_647


def _refuse_bad_top_up(amount, reason: str) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise DomainError("Type the credits to add as a whole number, such as 100.")
    if amount <= 0:
        raise DomainError(
            "Type a number of credits above zero. Credits are only ever added here; "
            "nothing is taken away."
        )
    if amount > MAX_TOP_UP:
        raise DomainError(f"At most {MAX_TOP_UP:,} credits can be added at once.")
    if not (reason or "").strip():
        raise DomainError(
            "Give a reason for the top-up (an order or invoice number, say); "
            "it is kept in the ledger."
        )


@transaction.atomic
def organisation_add_credits(organisation: Organisation, *, amount: int, by, reason: str):
    """Top up an organisation's credits (training admins only): a row in the ledger and one
    in the organisation's history say who, when and why. Bad input changes nothing."""
    if by is not None and role_of(by) != TRAINING_ADMIN:
        raise NotPermitted("Only a training admin can add credits.")
    _refuse_bad_top_up(amount, reason)
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if locked.credit_balance + amount > MAX_BALANCE:
        raise DomainError(
            f"{locked.name} has {locked.credit_balance:,} credits; adding {amount:,} would "
            f"go past {MAX_BALANCE:,}, the most a balance can hold. Nothing was added."
        )
    now = timezone.now()
    Organisation.objects.filter(pk=locked.pk).update(credit_balance=F("credit_balance") + amount)
    locked.credit_balance += amount
    insert_history_rows(Organisation, [locked.pk], by=by, reason=reason, when=now)
    SeatCreditEntry(
        organisation=locked,
        kind=LedgerKind.CREDITS_ADDED,
        credits=amount,
        balance_after=locked.credit_balance,
        created_at=now,
        created_by=by,
        reason=reason,
    ).save()
    organisation.credit_balance = locked.credit_balance
    return locked
