"""Seats and credits consumed by enrollment_start; the ledger; nothing refunded."""

import pytest

from enrollments import services
from enrollments.models import LedgerKind, SeatCreditEntry
from enrollments.selectors import consumption_of, seats_used
from lms_admin.plumbing.errors import DomainError, NotPermitted
from users import services as user_services
from users.models import Organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrol(admin_user):
    def make(user, course):
        return services.enrollment_create(user=user, course=course, by=admin_user, reason="t")

    return make


@pytest.fixture
def second_course(admin_user, organisation):
    return services.course_create(
        code="FIRE", name="Fire safety", organisation=organisation, by=admin_user, reason="t"
    )


def test_first_start_uses_one_seat_per_person_ever(
    course, second_course, make_user, enrol, organisation
):
    learner = make_user()
    first, second = enrol(learner, course), enrol(learner, second_course)

    services.enrollment_start(first, by=learner)
    services.enrollment_start(first, by=learner)  # starting twice
    services.enrollment_start(second, by=learner)  # another course

    assert seats_used(organisation) == 1
    seat = SeatCreditEntry.objects.get(kind=LedgerKind.SEAT)
    assert (seat.user_id, seat.enrollment_id, seat.created_by_id) == (
        learner.pk,
        first.pk,
        learner.pk,
    )
    assert seat.reason == "Started the course"
    first.refresh_from_db()
    assert first.started_at is not None
    assert first.history.first().history_change_reason == "Started the course"


def test_a_start_with_no_seat_left_is_refused_naming_the_contact(
    course, make_user, enrol, organisation
):
    organisation.seat_limit = 1
    organisation.contact = "Jo Smith, training@acme.example"
    organisation.save()
    first, second = make_user(), make_user()
    services.enrollment_start(enrol(first, course), by=first)
    blocked = enrol(second, course)

    with pytest.raises(DomainError, match="no seats left.*Jo Smith, training@acme.example"):
        services.enrollment_start(blocked, by=second)

    blocked.refresh_from_db()
    assert blocked.started_at is None
    assert seats_used(organisation) == 1


def test_credit_cost_is_spent_on_start_and_never_below_zero(
    course, make_user, enrol, organisation, admin_user
):
    course.credit_cost = 30
    course.save()
    services.organisation_add_credits(organisation, amount=50, by=admin_user, reason="Bought 50")
    first, second = make_user(), make_user()

    services.enrollment_start(enrol(first, course), by=first)
    with pytest.raises(DomainError, match="does not have the 30 credits.*training administrator"):
        services.enrollment_start(enrol(second, course), by=second)

    organisation.refresh_from_db()
    assert organisation.credit_balance == 20
    ledger = list(
        SeatCreditEntry.objects.filter(organisation=organisation)
        .order_by("id")
        .values_list("kind", "credits", "balance_after", "reason")
    )
    assert ledger == [
        ("credits_added", 50, 50, "Bought 50"),
        ("seat", 0, 50, "Started the course"),
        ("credits_spent", -30, 20, "Started the course"),
    ]
    # The refused start consumed nothing, not even the seat.
    assert seats_used(organisation) == 1


def test_the_ledger_is_append_only(course, make_user, enrol):
    learner = make_user()
    services.enrollment_start(enrol(learner, course), by=learner)
    entry = SeatCreditEntry.objects.get()
    entry.reason = "changed"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()


def test_deactivating_and_deleting_refund_nothing(
    course, make_user, enrol, organisation, admin_user
):
    course.credit_cost = 5
    course.save()
    services.organisation_add_credits(organisation, amount=10, by=admin_user, reason="t")
    learner, other = make_user(), make_user()
    services.enrollment_start(enrol(learner, course), by=learner)
    services.enrollment_start(enrol(other, course), by=other)

    user_services.user_deactivate(learner, by=admin_user, reason="Left")
    user_services.users_delete(user_services_queryset(other), by=admin_user, reason="Duplicate")

    organisation.refresh_from_db()
    assert seats_used(organisation) == 2 and organisation.credit_balance == 0
    assert consumption_of([learner.pk, other.pk]) == {"people": 2, "seats": 2, "credits": 10}


def user_services_queryset(user):
    return type(user).objects.filter(pk=user.pk)


def test_a_seat_is_per_organisation(course, make_user, enrol, partner, organisation):
    learner = make_user()
    services.enrollment_start(enrol(learner, course), by=learner)
    learner.organisation = partner
    learner.save()
    other_course = services.course_create(code="X", name="X", by=None, reason="t")
    services.enrollment_start(enrol(learner, other_course), by=learner)
    assert seats_used(organisation) == 1 and seats_used(partner) == 1


def test_an_invitation_must_be_accepted_before_starting(course, make_user, admin_user):
    learner = make_user()
    invited = services.enrollment_create(
        user=learner, course=course, state="invited", by=admin_user, reason="t"
    )
    with pytest.raises(DomainError, match="Accept the invitation"):
        services.enrollment_start(invited, by=learner)
    services.enrollment_accept(invited, by=learner)
    services.enrollment_start(invited, by=learner)
    assert SeatCreditEntry.objects.filter(user=learner).count() == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (0, "above zero"),
        (-5, "above zero"),
        ("50", "whole number"),
        (2.5, "whole number"),
        (True, "whole number"),
        (1_000_001, "At most 1,000,000 credits"),
    ],
)
def test_topping_up_needs_a_sensible_whole_number(organisation, admin_user, amount, message):
    with pytest.raises(DomainError, match=message):
        services.organisation_add_credits(
            organisation, amount=amount, by=admin_user, reason="Invoice 7"
        )
    assert Organisation.objects.get(pk=organisation.pk).credit_balance == 0
    assert not SeatCreditEntry.objects.exists()


def test_a_top_up_is_in_the_ledger_and_the_organisations_history(organisation, admin_user):
    services.organisation_add_credits(organisation, amount=250, by=admin_user, reason="PO 1234")
    assert organisation.credit_balance == 250
    entry = SeatCreditEntry.objects.get()
    assert (entry.kind, entry.credits, entry.balance_after) == (LedgerKind.CREDITS_ADDED, 250, 250)
    assert (entry.created_by, entry.reason) == (admin_user, "PO 1234")
    latest = organisation.history.latest("history_id")
    assert (latest.credit_balance, latest.history_user, latest.history_change_reason) == (
        250,
        admin_user,
        "PO 1234",
    )


def test_a_top_up_needs_a_reason(organisation, admin_user):
    with pytest.raises(DomainError, match="Give a reason"):
        services.organisation_add_credits(organisation, amount=5, by=admin_user, reason=" ")
    assert not SeatCreditEntry.objects.exists()


def test_the_balance_cannot_grow_past_what_it_can_hold(organisation, admin_user):
    # Set-up only: reaching this through top-ups would take 2,147 of them.
    Organisation.objects.filter(pk=organisation.pk).update(credit_balance=2_147_000_000)
    with pytest.raises(DomainError, match="the most a balance can hold"):
        services.organisation_add_credits(
            organisation, amount=1_000_000, by=admin_user, reason="Invoice 8"
        )
    assert Organisation.objects.get(pk=organisation.pk).credit_balance == 2_147_000_000


def test_only_a_training_admin_tops_up(organisation, partner, power_user, manager):
    for person, where in ((power_user, partner), (manager, organisation)):
        with pytest.raises(NotPermitted, match="Only a training admin can add credits"):
            services.organisation_add_credits(where, amount=5, by=person, reason="More")
    assert not SeatCreditEntry.objects.exists()
