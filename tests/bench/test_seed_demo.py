from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import timezone

from bench.management.commands.seed_demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from enrollments.models import Certificate, Course, Enrollment, EnrollmentState
from lms_admin.plumbing.scoping import role_of
from users.models import Organisation, Segment, User, UserStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", verbosity=0)


def test_demo_has_every_story_the_product_is_about(demo):
    assert Organisation.objects.count() == 3
    assert Organisation.objects.filter(parent__isnull=False).exists()
    learners = User.objects.filter(is_staff=False)
    assert 280 <= learners.count() <= 320
    assert set(learners.values_list("status", flat=True)) == set(UserStatus.values)
    assert learners.filter(email="").exists()
    assert learners.filter(last_login__isnull=True).exists()
    assert User.history.filter(history_change_reason="Re-hired").exists()
    assert Course.objects.count() == 10
    assert Course.objects.filter(enrollment_method="everyone").count() == 1
    assert set(Enrollment.objects.values_list("state", flat=True)) == set(EnrollmentState.values)
    assert Certificate.objects.exists()
    assert Segment.objects.filter(members__status=UserStatus.INACTIVE).exists()
    oldest = User.history.order_by("history_date").first().history_date
    assert oldest < timezone.now() - timedelta(days=600)

    # Every demo history row has an actor's reason.
    for model in (Organisation, User, Course, Enrollment, Certificate, Segment):
        assert not model.history.filter(history_change_reason__isnull=True).exists(), model
        assert not model.history.filter(history_change_reason="").exists(), model
    # Each demo role can sign in.
    for username, role, *_ in DEMO_ACCOUNTS:
        user = authenticate(username=username, password=DEMO_PASSWORD)
        assert user is not None and user.is_staff
        assert role_of(user) == role


def test_loading_twice_changes_nothing(demo):
    counts = (User.objects.count(), Enrollment.objects.count(), User.history.count())
    call_command("seed_demo", verbosity=0)
    assert (User.objects.count(), Enrollment.objects.count(), User.history.count()) == counts


@pytest.mark.postgresql("only PostgreSQL loads scale data with its indexes dropped")
@pytest.mark.django_db(transaction=True)
def test_a_bulk_scale_load_builds_every_index_again(roles):
    """On PostgreSQL a large scale load drops the plain indexes and builds them afterwards;
    the tables must end with exactly the indexes they started with."""
    import io

    from bench.scale_data import seed_scale
    from bench.scale_indexes import BULK_TABLES, _plain_indexes

    before = _plain_indexes(BULK_TABLES)
    assert before
    seed_scale(30, stdout=io.StringIO(), enrollments_per_user=3, bulk_from=1)
    assert _plain_indexes(BULK_TABLES) == before
    assert User.objects.filter(username__startswith="scale_user_").count() == 30


def test_the_demo_leaves_people_already_there_as_they_were():
    """Loaded on top of scale data, the demo gives only its own people its password: rewriting
    everyone else's row would leave a million dead rows behind on a scale database."""
    earlier = User.objects.create_user("scale_user_1", password=None)
    hash_before = earlier.password
    call_command("seed_demo", verbosity=0)
    earlier.refresh_from_db()
    assert earlier.password == hash_before
    assert authenticate(username="scale_user_1", password=DEMO_PASSWORD) is None
