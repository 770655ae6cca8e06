"""OPTIONS on every route under /api/: never a server error; the route's metadata (200) where
GET would answer, 401 signed out, and 404 for ids that do not exist or are out of scope,
exactly as GET answers them.

The routes come from the URL configuration itself, so a new route is checked as it is added.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from enrollments import services as enrollment_services
from imports.models import ImportJob, Progress
from tests.api.conftest import client_for
from users.models import Organisation

PLACEHOLDER = re.compile(r"<(?:\w+:)?(\w+)>")


def api_routes() -> list[str]:
    """Every route under api/, as a template like "api/v1/users/<id:user_id>"."""
    routes = []

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("api/"):
                routes.append(route)

    walk(get_resolver().url_patterns, "")
    return routes


def concrete(route: str, ids: dict) -> str:
    path = PLACEHOLDER.sub(lambda match: str(ids[match.group(1)]), route)
    return "/" + path.lstrip("^").rstrip("$")


@pytest.fixture
def objects(organisation, partner, course, make_user, enrol, admin_user):
    learner = make_user(username="options-learner", sis_user_id="OPT-1")
    enrollment = enrol(learner, course)
    partner_learner = make_user(username="options-partner", organisation=partner)
    term = enrollment_services.term_create(
        name="Options term", organisation=organisation, by=admin_user, reason="Test set-up"
    )
    job = ImportJob.objects.create(
        kind="sis",
        file_name="u.csv",
        format="csv",
        organisation=organisation,
        created_by=admin_user,
        state="done",
    )
    progress = Progress.objects.create(
        tag="sis_batch_state_restore", job=job, user=admin_user, scope_organisation=organisation
    )
    mine = {
        "account_id": organisation.pk,
        "user_id": learner.pk,
        "course_id": course.pk,
        "section_id": enrollment.section_id,
        "enrollment_id": enrollment.pk,
        "login_id": learner.pk,  # a person's one login has the person's id
        "destination_user_id": learner.pk,
        "import_id": job.pk,
        "progress_id": progress.pk,
        "term_id": term.pk,
    }
    return {
        "mine": mine,
        "missing": dict.fromkeys(mine, 987654),
        "partner_learner": partner_learner,
    }


def test_the_route_list_covers_the_api(db):
    routes = api_routes()
    assert "api/v1/courses/<id:course_id>/enrollments/<id:enrollment_id>/reactivate" in routes
    assert "api/schema/" in routes and "api/docs/" in routes
    assert len([route for route in routes if route.startswith("api/v1/")]) >= 20


def test_every_route_answers_options_as_get_would(api, objects):
    anonymous = APIClient()
    for route in api_routes():
        path = concrete(route, objects["mine"])
        response = api.options(path)
        assert response.status_code < 500, (path, response.content[:300])
        if not route.startswith("api/v1/") or route == "api/v1/":
            continue  # the schema, docs and DRF's sign-in pages answer OPTIONS their own way
        get = api.get(path)
        expected = 404 if get.status_code == 404 else 200
        assert response.status_code == expected, (path, response.content[:300])
        if expected == 200:
            body = response.json()
            assert body["renders"] == ["application/json"]
            assert "application/json" in body["parses"]
            assert "OPTIONS" in response["Allow"]
        assert anonymous.options(path).status_code in (401, 404), path

        missing = concrete(route, objects["missing"])
        if missing != path:
            assert api.options(missing).status_code == 404, missing


def test_out_of_scope_reads_as_nonexistent(power_api, objects, partner):
    """A power user at the partner sees their own people; anything of Acme is a 404, for
    OPTIONS exactly as for GET."""
    mine = objects["mine"]
    for route in api_routes():
        if "<" not in route or not route.startswith("api/v1/"):
            continue
        path = concrete(route, mine)
        assert power_api.options(path).status_code == 404, path
        # Routes that only write answer GET with 405 before looking anything up.
        assert power_api.get(path).status_code in (404, 405), path
    own = f"/api/v1/users/{objects['partner_learner'].pk}"
    assert power_api.options(own).status_code == 200
    assert power_api.options(f"/api/v1/accounts/{partner.pk}/users").status_code == 200
    assert Organisation.objects.count() == 2


def test_manager_can_ask_options_of_a_write_route(manager, objects):
    """Managers only read, but asking what a route accepts is a read."""
    client = client_for(manager)
    path = f"/api/v1/accounts/{objects['mine']['account_id']}/users"
    assert client.options(path).status_code == 200
