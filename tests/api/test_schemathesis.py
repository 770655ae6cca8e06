"""Schemathesis fuzzes every operation of the OpenAPI schema with a training admin's token.

In-process through the WSGI app, so it sees this test's data. Each operation is called with
generated valid input (positive) and invalid input (negative), once with generated ids in
the path (mostly 404s) and once with the ids of real objects (so the bodies and filters
reach the views). Every answer must be no server error, a status code the schema declares,
JSON, and shaped as the schema says. Bounded: a few examples per operation and mode.

Not checked, on purpose: that every schema-violating request is refused. Canvas's contract
is lenient there (per_page above 100 is served as 100; unknown fields are ignored).
"""

from collections import Counter

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

schemathesis = pytest.importorskip("schemathesis")

EXAMPLES = 8


@pytest.fixture
def many(course, make_user, enrol):
    for number in range(25):
        enrol(make_user(sis_user_id=f"P-{number:02d}"), course, ("active", "inactive")[number % 2])


@pytest.fixture
def in_process(settings):
    settings.ALLOWED_HOSTS = ["*"]
    # As Django's test client does: a finished request must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def sis_import(organisation, admin_user):
    from imports.models import ImportJob, Progress

    job = ImportJob.objects.create(
        kind="sis",
        file_name="u.csv",
        format="csv",
        organisation=organisation,
        created_by=admin_user,
        state="done",
    )
    Progress.objects.create(
        tag="sis_batch_state_restore", job=job, user=admin_user, scope_organisation=organisation
    )
    return job


def real_ids(organisation, course, sis_import) -> dict:
    from enrollments.models import EnrollmentTerm
    from imports.models import Progress
    from users.models import User

    term = EnrollmentTerm.objects.create(
        name="Autumn", sis_term_id="T-AUTUMN", organisation=organisation
    )

    return {
        "account_id": str(organisation.pk),
        "course_id": str(course.pk),
        "section_id": str(course.sections.order_by("pk").first().pk),
        "user_id": "sis_user_id:P-01",
        "enrollment_id": "sis_user_id:P-03",
        "login_id": str(User.objects.get(sis_user_id="P-01").pk),  # the person's one login
        "destination_user_id": "sis_user_id:P-02",
        "import_id": str(sis_import.pk),
        "progress_id": str(Progress.objects.get(job=sis_import).pk),
        "term_id": str(term.pk),
    }


def run_schemathesis(token: str, ids: dict):
    from django.core.wsgi import get_wsgi_application
    from schemathesis import GenerationMode

    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", get_wsgi_application(), headers=headers
    )
    failures: Counter = Counter()
    calls: list[int] = []
    operations = []
    for result in schema.get_all_operations():
        operation = result.ok()
        operations.append(operation.label)
        bound = {parameter.name: ids[parameter.name] for parameter in operation.path_parameters}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for path_parameters in ({}, bound) if bound else ({},):
                strategy = operation.as_strategy(
                    generation_mode=mode, path_parameters=path_parameters or None
                )
                fuzz(strategy, headers, operation.label, failures, calls)
    return failures, calls, operations


def fuzz(strategy, headers, label, failures, calls):
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi import checks

    every_check = [
        not_a_server_error,
        checks.status_code_conformance,
        checks.content_type_conformance,
        checks.response_schema_conformance,
    ]

    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=strategy)
    def check(case):
        response = case.call(headers=headers)
        calls.append(response.status_code)
        try:
            case.validate_response(response, checks=every_check, headers=headers)
        except (AssertionError, BaseExceptionGroup) as error:
            for failure in getattr(error, "exceptions", [error]):
                title = getattr(failure, "title", type(failure).__name__)
                failures[f"{label}: {title} ({response.status_code})"] += 1

    check()


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(
    api, many, organisation, course, sis_import, in_process
):
    ids = real_ids(organisation, course, sis_import)
    failures, calls, operations = run_schemathesis(api.secret, ids)
    assert dict(failures) == {}
    assert len(operations) >= 22
    assert len(calls) > 100
    assert any(code == 200 for code in calls)
    assert {400, 404} <= set(calls)


def test_schema_declares_the_error_answers_the_page_cap_and_the_bodies_parsed(admin_user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(admin_user)
    schema = client.get("/api/schema/?format=json").json()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            assert {"400", "401", "403", "404"} <= set(operation["responses"]), (path, method)
            if (path, method) == ("/api/v1/accounts/{account_id}/sis_imports", "post"):
                # An upload: the file as a multipart `attachment` or as the body itself.
                content = operation["requestBody"]["content"]
                assert set(content) == {"multipart/form-data", "text/csv"}
                assert content["multipart/form-data"]["schema"]["required"] == ["attachment"]
            elif "requestBody" in operation:
                assert set(operation["requestBody"]["content"]) == {
                    "application/json",
                    "application/x-www-form-urlencoded",
                }, (path, method)
    per_page = next(
        parameter
        for parameter in schema["paths"]["/api/v1/courses/{course_id}/enrollments"]["get"][
            "parameters"
        ]
        if parameter["name"] == "per_page"
    )
    assert per_page["schema"]["maximum"] == 100
    create_user = schema["paths"]["/api/v1/accounts/{account_id}/users"]["post"]["requestBody"]
    form = create_user["content"]["application/x-www-form-urlencoded"]["schema"]
    assert "user[name]" in form["properties"]
    assert form["required"] == ["pseudonym[unique_id]"]


def test_the_form_body_the_schema_documents_is_the_one_the_view_parses(api, organisation):
    response = api.post(
        f"/api/v1/accounts/{organisation.pk}/users",
        {"user[name]": "Zoë Form", "pseudonym[unique_id]": "zoe.form"},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    assert response.json()["login_id"] == "zoe.form"
    from_form = api.post(
        f"/api/v1/accounts/{organisation.pk}/users",
        "user%5Bname%5D=Al+Form&pseudonym%5Bunique_id%5D=al.form",
        content_type="application/x-www-form-urlencoded",
    )
    assert from_form.status_code == 200, from_form.content
    assert from_form.json()["name"] == "Al Form"
