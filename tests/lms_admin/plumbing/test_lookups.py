"""`__any_of` writes its list as one array literal on PostgreSQL: every value must arrive
exactly as given, whatever characters it holds."""

import pytest
from django.db import connection

from lms_admin.plumbing.lookups import array_parameter
from users.models import User

AWKWARD = ['a"b', "c\\d", "e'f", "g,h}{", " spaced ", "NULL", "", "ünï", 'x\\"y']


def test_any_of_matches_text_with_awkward_characters(make_user):
    people = [make_user(sis_user_id=value) for value in AWKWARD if value]
    found = User.objects.filter(sis_user_id__any_of=AWKWARD).values_list("id", flat=True)
    assert sorted(found) == sorted(person.pk for person in people)
    assert not User.objects.filter(sis_user_id__any_of=["a", "NULL "]).exists()


def test_any_of_matches_ids(make_user):
    person = make_user()
    assert list(
        User.objects.filter(id__any_of=[person.pk, 10**12]).values_list("id", flat=True)
    ) == [person.pk]
    assert not User.objects.filter(id__any_of=[]).exists()


@pytest.mark.postgresql("the array literal is PostgreSQL's own syntax")
def test_array_literal_round_trips(db):
    with connection.cursor() as cursor:
        for values in (AWKWARD, [1, 2, 3, 2**40]):
            placeholder, parameter = array_parameter(values)
            cursor.execute(f"SELECT {placeholder}", [parameter])
            assert cursor.fetchone()[0] == values
