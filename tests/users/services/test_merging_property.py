"""Property: a merge then its undo leaves every table as it was (history aside), whatever
the accounts own: enrolments in any state (conflicting or not), certificates, memberships."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enrollments.models import Certificate, Course, Enrollment, EnrollmentState, Section
from tests.users.merge_helpers import table_snapshot
from users import services
from users.models import Segment, SegmentMembership, User

pytestmark = pytest.mark.django_db

ACCOUNTS, SECTIONS, SEGMENTS = 3, 3, 2
TYPES = ["StudentEnrollment", "TeacherEnrollment"]

enrolments = st.dictionaries(
    keys=st.tuples(
        st.integers(0, ACCOUNTS - 1), st.integers(0, SECTIONS - 1), st.sampled_from(TYPES)
    ),
    values=st.tuples(
        st.sampled_from(EnrollmentState.values),
        st.one_of(st.none(), st.integers(0, 3)),  # days since last activity
        st.booleans(),  # has a certificate
    ),
    max_size=10,
)
memberships = st.sets(st.tuples(st.integers(0, ACCOUNTS - 1), st.integers(0, SEGMENTS - 1)))


class Rollback(Exception):
    pass


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    enrolments=enrolments,
    memberships=memberships,
    others=st.integers(1, ACCOUNTS - 1),
    marked=st.booleans(),
)
def test_merge_then_undo_leaves_every_table_as_it_was(
    organisation, admin_user, enrolments, memberships, others, marked
):
    try:
        with transaction.atomic():
            # No password hashing: the accounts' password column is compared as it is.
            people = [
                User.objects.create(username=f"p{n}", organisation=organisation, password=f"x{n}")
                for n in range(ACCOUNTS)
            ]
            course = Course.objects.create(code="P1", name="Property")
            sections = [Section.objects.create(course=course, name=f"S{n}") for n in range(3)]
            segments = [Segment.objects.create(name=f"G{n}") for n in range(SEGMENTS)]
            now = timezone.now()
            for (person, section, kind), (state, days, certified) in enrolments.items():
                row = Enrollment.objects.create(
                    user=people[person],
                    course=course,
                    section=sections[section],
                    type=kind,
                    state=state,
                    last_activity_at=None if days is None else now - timedelta(days=days),
                    score=days,
                )
                if certified:
                    Certificate.objects.create(enrollment=row)
            for person, segment in memberships:
                SegmentMembership.objects.create(user=people[person], segment=segments[segment])
            if marked:
                User.objects.filter(pk=people[1].pk).update(marked_for_deletion_at=now)
            before = table_snapshot()

            merge = services.users_merge(
                primary=people[0],
                others=people[1 : 1 + others],
                by=admin_user,
                reason="Property",
                keep_sign_in_names=True,
            )
            services.merge_undo(merge, by=admin_user, reason="Property undo")

            assert table_snapshot() == before
            raise Rollback
    except Rollback:
        pass
