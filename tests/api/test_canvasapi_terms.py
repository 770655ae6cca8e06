"""canvasapi, unchanged, against a live server: an account's enrolment terms
(`Account.get_enrollment_terms`, `get_enrollment_term`) and a course created in a term."""

import datetime

import pytest
from canvasapi import Canvas
from canvasapi.exceptions import BadRequest, ResourceDoesNotExist

from enrollments import services as enrollment_services
from tests.api.conftest import client_for
from tests.api.test_canvasapi import roles  # noqa: F401  (the role groups, put back)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def canvas(live_server, roles, admin_user):  # noqa: F811
    return Canvas(live_server.url, client_for(admin_user).secret)


@pytest.fixture
def terms(organisation, partner, admin_user):
    made = {}
    for number in range(1, 6):
        made[number] = enrollment_services.term_create(
            name=f"Term {number}",
            sis_term_id=f"T{number}",
            organisation=organisation,
            start_at=datetime.datetime(2020 + number, 1, 1, tzinfo=datetime.UTC),
            by=admin_user,
            reason="Test set-up",
        )
    made["shared"] = enrollment_services.term_create(
        name="Shared", sis_term_id="SH", by=admin_user, reason="Test set-up"
    )
    made["partner"] = enrollment_services.term_create(
        name="Partner term", sis_term_id="T1", organisation=partner, by=admin_user, reason="t"
    )
    return made


def test_lists_an_accounts_terms_across_pages(canvas, organisation, terms):
    account = canvas.get_account(organisation.pk)
    listed = list(account.get_enrollment_terms(per_page=2))
    assert [term.name for term in listed] == [
        "Shared",
        "Term 5",
        "Term 4",
        "Term 3",
        "Term 2",
        "Term 1",
    ]
    first = listed[-1]
    assert (first.id, first.sis_term_id, first.workflow_state) == (terms[1].pk, "T1", "active")
    assert first.start_at == "2021-01-01T00:00:00Z"
    assert first.start_at_date.year == 2021
    assert list(account.get_enrollment_terms(workflow_state=["deleted"])) == []
    assert len(list(account.get_enrollment_terms(workflow_state=["all"]))) == 6
    with pytest.raises(BadRequest):
        list(account.get_enrollment_terms(workflow_state=["gone"]))


def test_gets_one_term_and_another_organisations_is_not_found(canvas, organisation, terms):
    account = canvas.get_account(organisation.pk)
    term = account.get_enrollment_term(terms[3].pk)
    assert (term.name, term.sis_term_id) == ("Term 3", "T3")
    assert str(term) == f"Term 3 ({terms[3].pk})"
    with pytest.raises(ResourceDoesNotExist):
        account.get_enrollment_term(terms["partner"].pk)


def test_a_power_user_sees_only_their_own_and_shared_terms(live_server, partner, power_user, terms):
    canvas = Canvas(live_server.url, client_for(power_user).secret)
    account = canvas.get_account(partner.pk)
    assert [term.name for term in account.get_enrollment_terms()] == ["Shared", "Partner term"]
    with pytest.raises(ResourceDoesNotExist):
        account.get_enrollment_term(terms[1].pk)


def test_creates_a_course_in_a_term(canvas, organisation, terms):
    account = canvas.get_account(organisation.pk)
    course = account.create_course(
        course={"name": "Fire safety", "course_code": "FIRE1", "term_id": "sis_term_id:T2"}
    )
    assert course.enrollment_term_id == terms[2].pk
    assert canvas.get_course(course.id).enrollment_term_id == terms[2].pk
    with pytest.raises(BadRequest):
        account.create_course(course={"name": "Other", "term_id": terms["partner"].pk})
    assert [c.course_code for c in account.get_courses()] == ["FIRE1"]
