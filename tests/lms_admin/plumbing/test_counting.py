"""Capped counts: one kind of answer everywhere, a number from 0 to cap + 1."""

import pytest

from lms_admin.plumbing.counting import capped_count
from reports.selectors.changes import change_count
from users.models import User

pytestmark = pytest.mark.django_db


def test_a_capped_count_stops_one_past_the_cap(make_user):
    for _ in range(5):
        make_user()
    people = User.objects.filter(username__startswith="learner")
    assert capped_count(people, cap=10) == people.count() == 5
    assert capped_count(people, cap=3) == 4


def test_the_change_log_counts_across_tables_the_same_way(admin_user, make_user, course):
    for _ in range(3):
        make_user()
    # People and a course: changes in more than one history table, more than the cap.
    assert change_count(person=admin_user, filters={}, cap=2) == 3
    total = change_count(person=admin_user, filters={}, cap=1000)
    assert 4 <= total <= 1000
