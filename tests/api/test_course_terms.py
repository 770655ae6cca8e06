"""`course[term_id]` when creating a course through the API: the term's id or
sis_term_id:X, of the account, of an account above it, or a shared one; anything else is a
Canvas 400 and no course is made. Course objects carry `enrollment_term_id`."""

import pytest

from enrollments import services as enrollment_services
from enrollments.models import Course
from lms_admin.plumbing.errors import DomainError
from users import services as user_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def fall(organisation, admin_user):
    return enrollment_services.term_create(
        name="Fall 2025", sis_term_id="FALL25", organisation=organisation, by=admin_user, reason="t"
    )


@pytest.fixture
def partner_fall(partner, admin_user):
    return enrollment_services.term_create(
        name="Partner fall", sis_term_id="PFALL", organisation=partner, by=admin_user, reason="t"
    )


def create(api, account, **fields):
    body = {"course": {"name": "Fire safety", "course_code": "FIRE1", **fields}}
    return api.post(f"/api/v1/accounts/{account.pk}/courses", body, format="json")


@pytest.mark.parametrize("value", ["id", "sis"])
def test_a_course_is_created_in_a_term_by_id_or_sis_term_id(api, organisation, fall, value):
    term_id = str(fall.pk) if value == "id" else "sis_term_id:FALL25"
    response = create(api, organisation, term_id=term_id)
    assert response.status_code == 200, response.content
    assert response.json()["enrollment_term_id"] == fall.pk
    course = Course.objects.get(pk=response.json()["id"])
    assert course.term == fall
    reason = course.history.get().history_change_reason
    assert reason == "API: POST /api/v1/accounts/:account_id/courses"
    fetched = api.get(f"/api/v1/courses/{course.pk}").json()
    assert fetched["enrollment_term_id"] == fall.pk
    listed = api.get(f"/api/v1/accounts/{organisation.pk}/courses").json()
    assert listed[0]["enrollment_term_id"] == fall.pk


def test_a_form_body_works_too(api, organisation, fall):
    response = api.post(
        f"/api/v1/accounts/{organisation.pk}/courses",
        {"course[name]": "Fire", "course[term_id]": "sis_term_id:FALL25"},
    )
    assert response.json()["enrollment_term_id"] == fall.pk


def test_a_parent_accounts_or_shared_term_is_the_accounts_too(api, organisation, admin_user):
    parent = user_services.organisation_create(
        name="Acme Group", slug="acme-group", by=admin_user, reason="t"
    )
    user_services.organisation_update(organisation, parent=parent, by=admin_user, reason="t")
    above = enrollment_services.term_create(
        name="Group term", organisation=parent, by=admin_user, reason="t"
    )
    shared = enrollment_services.term_create(name="Shared", by=admin_user, reason="t")
    for term in (above, shared):
        response = create(api, organisation, term_id=str(term.pk))
        assert response.json()["enrollment_term_id"] == term.pk


def test_without_a_term_the_course_has_none(api, organisation):
    assert create(api, organisation).json()["enrollment_term_id"] is None


@pytest.mark.parametrize("value", ["partner", "sis_term_id:PFALL", "987654321", "nonsense"])
def test_a_term_the_account_may_not_use_is_a_400_and_nothing_is_made(
    api, organisation, partner_fall, value
):
    value = str(partner_fall.pk) if value == "partner" else value
    response = create(api, organisation, term_id=value)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["attribute"] == "course[term_id]"
    assert error["message"].startswith(f"course[term_id]: no term “{value}” in this account.")
    assert not Course.objects.exists()


def test_a_power_user_cannot_name_another_organisations_term(power_api, partner, fall, roles):
    # Power users may not create courses at all; the refusal comes first and stores nothing.
    response = create(power_api, partner, term_id=str(fall.pk))
    assert response.status_code == 403
    assert not Course.objects.exists()


def test_the_service_refuses_a_term_the_organisation_may_not_use(
    organisation, partner, partner_fall, fall, admin_user
):
    with pytest.raises(DomainError, match="is not one a course of “Acme Training” may be in"):
        enrollment_services.course_create(
            code="X",
            name="X",
            organisation=organisation,
            term=partner_fall,
            by=admin_user,
            reason="t",
        )
    assert not Course.objects.exists()
    course = enrollment_services.course_create(
        code="X", name="X", organisation=organisation, term=fall, by=admin_user, reason="t"
    )
    # Moving the course to another organisation while it stays in Acme's term is refused too.
    with pytest.raises(DomainError, match="“Partner Ltd”"):
        enrollment_services.course_update(course, organisation=partner, by=admin_user, reason="t")
    with pytest.raises(DomainError, match="no organisation"):
        enrollment_services.course_update(course, organisation=None, by=admin_user, reason="t")
    course.refresh_from_db()
    assert (course.organisation, course.term) == (organisation, fall)
    enrollment_services.course_update(
        course, organisation=partner, term=partner_fall, by=admin_user, reason="t"
    )
    course.refresh_from_db()
    assert (course.organisation, course.term) == (partner, partner_fall)
