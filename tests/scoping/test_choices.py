"""Every choice a power user is offered is scoped: filter sidebars on relations (Django's
own RelatedFieldListFilter, replaced once for every admin) and the forms of bulk actions."""

import pytest
from django.contrib import admin
from django.test import Client

from enrollments.models import Certificate, Course, Enrollment, EnrollmentTerm, Section
from imports.models import ImportJob
from lms_admin.plumbing.admin import ScopedRelatedFieldListFilter
from tests.scoping.test_matrix import fingerprint, leaks
from users import services
from users.models import AccessToken, Organisation, Segment, SegmentMembership, User

pytestmark = pytest.mark.django_db

RELATION_FILTERS = (
    ("/admin/users/segment/", "organisation"),
    ("/admin/users/segmentmembership/", "segment"),
    ("/admin/enrollments/course/", "organisation"),
    ("/admin/enrollments/course/", "term"),
    ("/admin/enrollments/enrollmentterm/", "organisation"),
)


def sidebar_choices(client, url: str, field: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200
    specs = response.context["cl"].filter_specs
    (spec,) = [spec for spec in specs if getattr(spec, "field_path", None) == field]
    assert isinstance(spec, ScopedRelatedFieldListFilter)
    return {label for _, label in spec.lookup_choices}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_relation_filters_offer_a_power_user_only_their_own_organisations_rows(world):
    a, b = world
    # A sidebar with a single choice is not shown: give A's segment filter two.
    services.segment_create(
        name="Aurora Second Segment", organisation=a.organisation, by=a.power, reason="Test"
    )
    client = signed_in(a.power)
    for url, field in RELATION_FILTERS:
        choices = sidebar_choices(client, url, field)
        assert choices, url
        assert not any("Borealis" in label for label in choices), (url, choices)
        assert any("Aurora" in label for label in choices), (url, choices)


def test_relation_filters_still_offer_a_training_admin_every_organisations_rows(world):
    client = signed_in(User.objects.get(username="trainer"))
    for url, field in RELATION_FILTERS:
        choices = sidebar_choices(client, url, field)
        assert any("Borealis" in label for label in choices), url
        assert any("Aurora" in label for label in choices), url


def users_page_choices(client) -> dict[str, list[str]]:
    response = client.get("/admin/users/user/")
    assert response.status_code == 200
    specs = {
        getattr(spec, "parameter_name", None): spec for spec in response.context["cl"].filter_specs
    }
    return {
        name: [label for _, label in specs[name].lookup_choices]
        for name in ("organisation", "segment")
    }


def test_the_users_pages_organisation_and_segment_filters_are_scoped(world):
    """Both lists are read in one query (users.admin.filters.scoped_choices): each keeps to
    its own kind, in name order, and a power user's hold nothing of org B."""
    a, b = world
    services.segment_create(
        name="Aurora Second Segment", organisation=a.organisation, by=a.power, reason="Test"
    )
    mine = users_page_choices(signed_in(a.power))
    assert mine["organisation"] == [a.organisation.name]
    assert mine["segment"] == sorted(
        Segment.objects.filter(organisation=a.organisation).values_list("name", flat=True)
    )
    assert len(mine["segment"]) == 2

    everyone = users_page_choices(signed_in(User.objects.get(username="trainer")))
    assert everyone["organisation"] == list(
        Organisation.objects.order_by("name").values_list("name", flat=True)
    )
    assert everyone["segment"] == list(
        Segment.objects.order_by("name").values_list("name", flat=True)
    )
    assert b.organisation.name in everyone["organisation"]


ROW_OF = {
    User: "person",
    Organisation: "organisation",
    Segment: "segment",
    SegmentMembership: "membership",
    EnrollmentTerm: "term",
    Course: "course",
    Section: "section",
    Enrollment: "enrollment",
    Certificate: "certificate",
    AccessToken: "token",
    ImportJob: "job",
}


def test_every_bulk_action_page_offers_nothing_of_org_b(world):
    """Each action of each list, on a power user's row and org B's row ticked together:
    the confirmation page's choices (segments, courses, sections) and counts hold nothing
    of B, and nothing of B changes."""
    a, b = world
    client = signed_in(a.power)
    before = fingerprint(b)
    tried = 0
    for model, model_admin in admin.site._registry.items():
        if model not in ROW_OF:
            continue
        ticked = [getattr(a, ROW_OF[model]).pk, getattr(b, ROW_OF[model]).pk]
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/?status=all"
        for action in [*model_admin.actions, "delete_selected"]:
            name = action if isinstance(action, str) else action.__name__
            response = client.post(url, {"action": name, "_selected_action": ticked})
            assert response.status_code in (200, 302, 403), (url, name, response.status_code)
            assert not leaks(response.content), (url, name)
            tried += response.status_code == 200
    assert tried >= 5
    assert fingerprint(b) == before


def test_adding_org_b_people_to_a_segment_reads_as_adding_nobody(world):
    """The segment page's "add people" box answers another organisation's username or SIS
    id exactly as one that does not exist, and adds no one."""
    a, b = world
    client = signed_in(a.power)
    url = f"/admin/users/segment/{a.segment.pk}/members/"

    def answer(typed: str) -> str:
        response = client.post(url, {"people": typed}, follow=True)
        assert response.status_code == 200
        return " ".join(str(m) for m in response.context["messages"]).replace(typed, "<typed>")

    for typed in (b.person.username, b.person.sis_user_id):
        assert answer(typed) == answer("nobody-by-that-name")
    assert not a.segment.memberships.filter(user=b.person).exists()
