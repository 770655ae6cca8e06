"""Terms (Canvas's enrolment terms): created and edited here, with actor and reason."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from enrollments.models import EnrollmentTerm
from enrollments.services.courses import _validation_message
from lms_admin.plumbing.errors import DomainError
from lms_admin.plumbing.history import create_with_history, update_with_history

# What a term's own page changes.
TERM_FIELDS = ("name", "sis_term_id", "organisation", "start_at", "end_at")


@transaction.atomic
def term_create(
    *,
    name: str,
    sis_term_id: str | None = None,
    organisation=None,
    start_at=None,
    end_at=None,
    by,
    reason: str,
) -> EnrollmentTerm:
    """A term of an organisation, or shared by all when it has none."""
    try:
        return create_with_history(
            EnrollmentTerm,
            by=by,
            reason=reason,
            name=name,
            sis_term_id=sis_term_id or None,
            organisation=organisation,
            start_at=start_at,
            end_at=end_at,
        )
    except ValidationError as error:
        raise DomainError(_validation_message(error)) from error


@transaction.atomic
def term_update(term: EnrollmentTerm, *, by, reason: str, **changes) -> EnrollmentTerm:
    """Change a term's name, SIS term ID, organisation or dates."""
    if "sis_term_id" in changes:
        changes["sis_term_id"] = changes["sis_term_id"] or None
    try:
        return update_with_history(term, changes, by=by, reason=reason, allowed=TERM_FIELDS)
    except ValidationError as error:
        raise DomainError(_validation_message(error)) from error
