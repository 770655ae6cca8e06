"""The scoping matrix: a power user of org A, with org B's data in the same database.

Every route of the URLconf has a row in tests/scoping/routes.py. Through every one of them,
nothing of org B appears (its names, emails, SIS ids and organisation name are searched for
in the response bytes, inside XLSX files too), and addresses naming org B's objects answer
exactly as addresses naming ids that do not exist.
"""

from __future__ import annotations

import io
import re
import zipfile
from types import SimpleNamespace
from urllib.parse import quote, quote_plus

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from enrollments.models import Certificate, Course, Enrollment, EnrollmentTerm, Section
from imports.exporting import EXPORTS
from imports.models import ImportJob
from reports.models import ExportRecord
from tests.scoping.conftest import B_MARKERS, MISSING
from tests.scoping.routes import (
    ADMIN_PROBES,
    ADMIN_SEARCHES,
    API_PAGES,
    API_PROBES,
    API_SEARCHES,
    ROUTES,
    Elsewhere,
    Page,
    Probe,
)
from users.models import Organisation, Segment, SegmentMembership, User
from users.tokens import token_create

pytestmark = pytest.mark.django_db


def url_patterns(patterns=None, prefix=""):
    """Every URL pattern of the project, as one string from the root."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def ids(side) -> SimpleNamespace:
    return SimpleNamespace(
        org=side.organisation.pk,
        person=side.person.pk,
        power=side.power.pk,
        segment=side.segment.pk,
        membership=side.membership.pk,
        course=side.course.pk,
        section=side.section.pk,
        enrollment=side.enrollment.pk,
        certificate=side.certificate.pk,
        job=side.job.pk,
        export=side.export.pk,
        token=side.token.pk,
        review=side.review.pk,
        review_policy=side.review_policy.pk,
        review_policy_history=side.review_policy.history.first().history_id,
        progress=side.progress.pk,
        term=side.term.pk,
        term_history=side.term.history.first().history_id,
        term_sis=side.term.sis_term_id,
        sis=side.person.sis_user_id,
        login=side.person.username,
        course_sis=side.course.sis_course_id,
        person_history=side.history_id,
        org_history=side.organisation.history.first().history_id,
        segment_history=side.segment.history.first().history_id,
        membership_history=side.membership.history.first().history_id,
        token_history=side.token.history.first().history_id,
        course_history=side.course.history.first().history_id,
        section_history=side.section.history.first().history_id,
        enrollment_history=side.enrollment.history.first().history_id,
        certificate_history=side.certificate.history.first().history_id,
    )


def missing_ids(b: SimpleNamespace) -> SimpleNamespace:
    """The same names as org B's, each naming nothing."""
    return SimpleNamespace(
        **{
            name: MISSING if isinstance(value, int) else f"NOPE-{MISSING}"
            for name, value in vars(b).items()
        }
    )


@pytest.fixture
def matrix(world):
    a, b = world
    web = Client()
    web.force_login(a.power)
    api = APIClient()
    _, secret = token_create(a.power, by=a.power, reason="Test set-up")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    b_ids = ids(b)
    return SimpleNamespace(
        a=ids(a), b=b_ids, missing=missing_ids(b_ids), web=web, api=api, sides=world
    )


def body_of(response) -> bytes:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    if content.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            content = b"".join(archive.read(name) for name in archive.namelist())
    location = response.headers.get("Location", "")
    return content + location.encode()


def leaks(content: bytes) -> list[bytes]:
    lowered = content.lower()
    return [marker for marker in B_MARKERS if marker.lower() in lowered]


def ask(matrix, row, method: str, url: str):
    client = matrix.api if row.api else matrix.web
    call = getattr(client, method.lower())
    if row.api and method in ("PUT", "POST"):
        return call(url, {"user": {"name": "Changed"}, "enrollment": {}}, format="json")
    return call(url)


def fill(template: str, matrix, b) -> str:
    return "/" + template.format(a=matrix.a, b=b)


def shape(content: bytes, substituted: SimpleNamespace) -> bytes:
    """The response with what differs between two ids set aside: the ids themselves, every
    number, and the form's CSRF token."""
    for value in vars(substituted).values():
        if isinstance(value, str):
            content = content.replace(value.encode(), b"<ID>")
    content = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)
    return re.sub(rb"\d+", b"N", content)


def fingerprint(b_side) -> list:
    """What org B has, to check afterwards that no probe changed any of it."""
    org_id = b_side.organisation.pk
    return [
        list(User.objects.filter(organisation_id=org_id).order_by("pk").values()),
        list(Organisation.objects.filter(pk=org_id).values()),
        list(Segment.objects.filter(organisation_id=org_id).values()),
        list(SegmentMembership.objects.filter(segment__organisation_id=org_id).values()),
        list(EnrollmentTerm.objects.filter(organisation_id=org_id).values()),
        list(Course.objects.filter(organisation_id=org_id).values()),
        list(Section.objects.filter(course__organisation_id=org_id).values()),
        list(Enrollment.objects.filter(user__organisation_id=org_id).values()),
        list(Certificate.objects.filter(enrollment__user__organisation_id=org_id).values()),
        list(ImportJob.objects.filter(scope_organisation_id=org_id).values("pk", "state")),
        list(ExportRecord.objects.filter(user__organisation_id=org_id).values()),
    ]


def without_echo(content: bytes, typed: str) -> bytes:
    """The page with the words the person typed (echoed in the search box) taken out."""
    for word in (typed, quote_plus(typed), quote(typed)):
        if word:
            content = content.replace(word.encode(), b"")
    return content


def check_page(matrix, row: Page, *, typed: str = "") -> list[str]:
    problems = []
    for query in row.queries:
        url = fill(row.url, matrix, matrix.b) + ("?" + query.format(a=matrix.a) if query else "")
        response = ask(matrix, row, "GET", url)
        if response.status_code != row.status:
            problems.append(f"GET {url}: {response.status_code}, expected {row.status}")
        if found := leaks(without_echo(body_of(response), typed)):
            problems.append(f"GET {url} shows org B's {found}")
    return problems


def check_probe(matrix, row: Probe) -> list[str]:
    problems = []
    for method in row.methods:
        b_url = fill(row.url, matrix, matrix.b)
        missing_url = fill(row.url, matrix, matrix.missing)
        missing = ask(matrix, row, method, missing_url)
        found = ask(matrix, row, method, b_url)
        if found.status_code != missing.status_code:
            problems.append(
                f"{method} {b_url}: {found.status_code}, but {missing.status_code} for a "
                "nonexistent id"
            )
            continue
        found_body, missing_body = body_of(found), body_of(missing)
        if shape(found_body, matrix.b) != shape(missing_body, matrix.missing):
            problems.append(f"{method} {b_url}: answers differently from a nonexistent id")
        if found := leaks(shape(found_body, matrix.b)):
            problems.append(f"{method} {b_url} shows org B's {found}")
    return problems


def check(matrix, row) -> list[str]:
    if isinstance(row, Page):
        return check_page(matrix, row)
    if isinstance(row, Probe):
        return check_probe(matrix, row)
    return []


def test_every_url_pattern_has_a_row_in_the_matrix():
    patterns = list(url_patterns())
    assert len(patterns) > 100
    unlisted = [pattern for pattern in patterns if pattern not in ROUTES]
    stale = [route for route in ROUTES if route not in patterns]
    assert not unlisted, f"Add these routes to tests/scoping/routes.py: {unlisted}"
    assert not stale, f"These rows name routes that no longer exist: {stale}"


def test_rows_that_point_elsewhere_name_a_reason_or_an_existing_test():
    for route, row in ROUTES.items():
        if isinstance(row, Elsewhere):
            assert row.reason, route
            if row.reason.startswith("test_matrix.py::"):
                assert row.reason.removeprefix("test_matrix.py::") in globals(), route


def test_no_route_shows_or_answers_for_org_b(matrix):
    before = fingerprint(matrix.sides[1])
    problems = []
    for row in ROUTES.values():
        problems += check(matrix, row)
    assert not problems, "\n".join(problems)
    assert fingerprint(matrix.sides[1]) == before


def test_lists_filtered_or_searched_for_org_b_answer_as_for_nothing(matrix):
    problems = []
    for row in (*ADMIN_PROBES, *API_PROBES, *API_PAGES):
        problems += check(matrix, row)
    for row in API_SEARCHES:
        for query in row.queries:
            typed = query.partition("=")[2]
            problems += check_page(matrix, Page(row.url, queries=(query,), api=True), typed=typed)
    for route, row in ROUTES.items():
        if isinstance(row, Page) and not row.api and row.status == 200 and row.url.endswith("/"):
            if route.endswith("/add/") or "reports" in route or "<" in route:
                continue
            for term in ADMIN_SEARCHES:
                problems += check_page(matrix, Page(row.url, queries=(f"q={term}",)), typed=term)
    assert not problems, "\n".join(problems)


def autocomplete_fields():
    for model, model_admin in admin.site._registry.items():
        for field_name in model_admin.autocomplete_fields:
            yield model._meta.app_label, model._meta.model_name, field_name


def test_autocomplete_lists_nothing_of_org_b(matrix):
    fields = list(autocomplete_fields())
    assert len(fields) >= 5
    problems = []
    for app_label, model_name, field_name in fields:
        for term in ("", *ADMIN_SEARCHES):
            response = matrix.web.get(
                "/admin/autocomplete/",
                {
                    "app_label": app_label,
                    "model_name": model_name,
                    "field_name": field_name,
                    "term": term,
                },
            )
            if response.status_code not in (200, 403):
                problems.append(f"{model_name}.{field_name} {term!r}: {response.status_code}")
            if found := leaks(response.content):
                problems.append(f"{model_name}.{field_name} {term!r} shows org B's {found}")
    assert not problems, "\n".join(problems)


def test_autocomplete_shows_org_a_so_the_search_above_is_real(matrix):
    response = matrix.web.get(
        "/admin/autocomplete/",
        {
            "app_label": "users",
            "model_name": "segmentmembership",
            "field_name": "user",
            "term": "Applewood",
        },
    )
    assert response.status_code == 200
    assert b"aurora" in response.content.lower()


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_every_export_download_holds_nothing_of_org_b(matrix, fmt):
    problems = []
    for kind in EXPORTS:
        response = matrix.web.get(f"/admin/imports/importjob/export/{kind}/{fmt}/")
        if response.status_code != 200:
            problems.append(f"{kind} {fmt}: {response.status_code}")
        content = body_of(response)
        if found := leaks(content):
            problems.append(f"{kind} {fmt} holds org B's {found}")
    for report in ("analytics", "archived", "history", "changes"):
        response = matrix.web.get(f"/admin/reports/{report}/export/{fmt}/")
        if found := leaks(body_of(response)):
            problems.append(f"report {report} {fmt} holds org B's {found}")
    assert not problems, "\n".join(problems)


def test_pages_show_org_a_so_the_searches_are_real(matrix):
    """The matrix could pass by showing nothing at all: the same pages show org A's rows."""
    for url in (
        "/admin/users/user/",
        "/admin/users/segment/",
        "/admin/users/segmentmembership/",
        "/admin/enrollments/enrollmentterm/",
        "/admin/enrollments/course/",
        "/admin/enrollments/enrollment/",
        "/admin/enrollments/certificate/",
        "/admin/imports/importjob/",
    ):
        assert b"aurora" in matrix.web.get(url).content.lower(), url
    export = matrix.web.get("/admin/imports/importjob/export/users/csv/")
    assert b"Applewood" in body_of(export)
