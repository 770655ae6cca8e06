"""Terms: created and edited through one service each, with history."""

from datetime import UTC, datetime

import pytest

from enrollments import services
from enrollments.models import EnrollmentTerm
from lms_admin.plumbing.errors import DomainError

pytestmark = pytest.mark.django_db


def latest(model, pk):
    return model.history.filter(id=pk).order_by("-history_id").first()


def test_term_create_and_update_write_history_with_actor_and_reason(admin_user, organisation):
    term = services.term_create(
        name="Fall", sis_term_id="F25", organisation=organisation, by=admin_user, reason="New"
    )
    services.term_update(term, name="Fall 2025", sis_term_id="", by=admin_user, reason="Rename")
    record = latest(EnrollmentTerm, term.pk)
    assert (record.name, record.sis_term_id, record.history_user, record.history_change_reason) == (
        "Fall 2025",
        None,
        admin_user,
        "Rename",
    )
    # Nothing changes, nothing is written.
    services.term_update(term, name="Fall 2025", by=admin_user, reason="x")
    assert term.history.count() == 2


def test_term_rules_are_refused_plainly(admin_user, organisation, partner):
    services.term_create(name="A", sis_term_id="T", organisation=organisation, by=None, reason="t")
    services.term_create(name="B", sis_term_id="T", organisation=partner, by=None, reason="t")
    services.term_create(name="Shared", sis_term_id="T", by=None, reason="t")
    with pytest.raises(DomainError, match="Another term of this organisation"):
        services.term_create(
            name="C", sis_term_id="T", organisation=partner, by=admin_user, reason="t"
        )
    with pytest.raises(DomainError, match="Another shared term"):
        services.term_create(name="D", sis_term_id="T", by=admin_user, reason="t")
    with pytest.raises(DomainError, match="cannot end before it starts"):
        services.term_create(
            name="E",
            start_at=datetime(2025, 9, 1, tzinfo=UTC),
            end_at=datetime(2025, 1, 1, tzinfo=UTC),
            by=admin_user,
            reason="t",
        )
    with pytest.raises(DomainError, match="cannot be changed here"):
        services.term_update(EnrollmentTerm.objects.first(), id=5, by=admin_user, reason="t")


def test_course_joins_a_term_through_its_service(admin_user, course):
    term = services.term_create(name="Fall", by=admin_user, reason="t")
    services.course_update(course, term=term, by=admin_user, reason="Timetable")
    assert latest(type(course), course.pk).term_id == term.pk
