"""The course page offers only the terms the course's organisation may use (its own, its
parents', the shared ones) and refuses a posted term outside them with the reason, saving
nothing; a power user sees only terms in their scope."""

import pytest
from django.urls import reverse

from enrollments import services
from enrollments.models import Course
from tests.conftest import PASSWORD
from users import services as user_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def terms(organisation, partner, admin_user):
    parent = user_services.organisation_create(
        name="Acme Group", slug="acme-group", by=admin_user, reason="t"
    )
    user_services.organisation_update(organisation, parent=parent, by=admin_user, reason="t")

    def term(name, owner):
        return services.term_create(name=name, organisation=owner, by=admin_user, reason="t")

    return {
        "own": term("Acme fall", organisation),
        "parent": term("Group spring", parent),
        "shared": term("Shared summer", None),
        "partner": term("Partner fall", partner),
    }


def offered(response) -> set[str]:
    assert response.status_code == 200
    field = response.context["adminform"].form.fields["term"]
    return {str(term) for term in field.queryset}


def signed_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def course_data(course, **changes) -> dict:
    data = {
        "code": course.code,
        "name": course.name,
        "sis_course_id": course.sis_course_id or "",
        "organisation": course.organisation_id or "",
        "term": course.term_id or "",
        "credit_cost": course.credit_cost,
        "sections-TOTAL_FORMS": "0",
        "sections-INITIAL_FORMS": "0",
    }
    return {**data, **changes}


def test_the_change_page_offers_the_courses_organisations_terms_only(
    client, admin_user, course, terms
):
    signed_in(client, admin_user)
    response = client.get(reverse("admin:enrollments_course_change", args=[course.pk]))
    assert offered(response) == {"Acme fall", "Group spring", "Shared summer"}
    assert "Partner fall" not in response.content.decode()


def test_the_add_page_offers_shared_terms_until_an_organisation_is_chosen(
    client, admin_user, organisation, terms
):
    signed_in(client, admin_user)
    add = reverse("admin:enrollments_course_add")
    response = client.get(add)
    assert offered(response) == {"Shared summer"}
    assert "Save and continue editing" in response.content.decode()
    response = client.get(add, {"organisation": organisation.pk})
    assert offered(response) == {"Acme fall", "Group spring", "Shared summer"}


def test_a_new_course_is_created_in_its_organisations_term(client, admin_user, organisation, terms):
    signed_in(client, admin_user)
    data = {
        "code": "NEW1",
        "name": "New course",
        "organisation": organisation.pk,
        "term": terms["parent"].pk,
        "credit_cost": "0",
        "sections-TOTAL_FORMS": "0",
        "sections-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("admin:enrollments_course_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Course.objects.get(code="NEW1").term == terms["parent"]


@pytest.mark.parametrize("page", ["add", "change"])
def test_a_term_the_organisation_may_not_use_is_refused_and_nothing_saved(
    client, admin_user, organisation, course, terms, page
):
    signed_in(client, admin_user)
    history = course.history.count()
    if page == "add":
        url = reverse("admin:enrollments_course_add")
        data = course_data(course, code="NEW2", sis_course_id="", term=terms["partner"].pk)
    else:
        url = reverse("admin:enrollments_course_change", args=[course.pk])
        data = course_data(course, name="Renamed", term=terms["partner"].pk)
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["term"]
    assert errors == [
        "The term “Partner fall” is not one a course of “Acme Training” may be in: choose a "
        "term of the course's organisation, of an organisation above it, or a shared term."
    ]
    assert "Partner fall” is not one a course" in response.content.decode()
    assert not Course.objects.filter(code="NEW2").exists()
    course.refresh_from_db()
    assert (course.name, course.term) == ("Safety basics", None)
    assert course.history.count() == history


def test_moving_a_course_keeps_its_term_only_if_the_new_organisation_may_use_it(
    client, admin_user, partner, course, terms
):
    signed_in(client, admin_user)
    services.course_update(course, term=terms["own"], by=admin_user, reason="t")
    url = reverse("admin:enrollments_course_change", args=[course.pk])
    response = client.post(url, course_data(course, organisation=partner.pk))
    assert response.status_code == 200
    assert "Acme fall” is not one a course of “Partner Ltd”" in response.content.decode()
    course.refresh_from_db()
    assert course.organisation.name == "Acme Training"
    # With the partner's term it moves, through course_update, with its history.
    response = client.post(
        url, course_data(course, organisation=partner.pk, term=terms["partner"].pk)
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert (course.organisation, course.term) == (partner, terms["partner"])
    record = course.history.order_by("-history_id").first()
    assert (record.history_user, record.history_change_reason) == (
        admin_user,
        "Changed in the admin",
    )


def test_a_power_user_sees_only_terms_in_their_scope(
    client, power_user, partner, terms, admin_user
):
    course = services.course_create(
        code="P1",
        name="Partner course",
        organisation=partner,
        term=terms["partner"],
        by=admin_user,
        reason="t",
    )
    signed_in(client, power_user)
    page = client.get(reverse("admin:enrollments_course_change", args=[course.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert "Partner fall" in content
    for other in ("Acme fall", "Group spring"):
        assert other not in content
    listing = client.get(reverse("admin:enrollments_course_changelist")).content.decode()
    assert "Acme fall" not in listing and "Group spring" not in listing
