"""The enrolments and certificates lists: search by person or course through the people's
search index, counts that stop at a cap, and a power user's scope kept while searching."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enrollments import search
from enrollments import services as enrollment_services
from lms_admin.plumbing import counting
from tests.enrollments.admin.test_catalogue import sign_in
from users import services as user_services

ENROLMENTS = "/admin/enrollments/enrollment/"
CERTIFICATES = "/admin/enrollments/certificate/"


@pytest.fixture
def training(db, admin_user, make_user, partner):
    fire = enrollment_services.course_create(
        code="FIRE-1", name="Fire safety", by=admin_user, reason="Test set-up"
    )
    data = enrollment_services.course_create(
        code="GDPR-2", name="Data protection", by=admin_user, reason="Test set-up"
    )
    freya = make_user(
        username="fd01", first_name="Freya", last_name="Davies", email="freya@acme.test"
    )
    fred = make_user(username="fk02", first_name="Fred", last_name="Khan", sis_user_id="SIS-77")
    olu = make_user(username="oa03", first_name="Olu", last_name="Davies", organisation=partner)
    enrolments = {}
    for person in (freya, fred, olu):
        for course in (fire, data):
            enrolments[person.username, course.code] = enrollment_services.enrollment_create(
                user=person, course=course, by=admin_user, reason="Test set-up"
            )
    done = enrolments["fd01", "FIRE-1"]
    enrollment_services.enrollment_set_state(done, "completed", by=admin_user, reason="Done")
    certificate = enrollment_services.certificate_issue(done, by=admin_user, reason="Passed")
    return {"enrolments": enrolments, "certificate": certificate}


def _rows(client, url, term) -> set[tuple[str, str]]:
    """(username, course code) of each listed enrolment."""
    page = client.get(url, {"q": term})
    assert page.status_code == 200
    return set(page.context["cl"].result_list.values_list("user__username", "course__code"))


@pytest.mark.parametrize("large", [False, True], ids=["small-table", "sampled-table"])
@pytest.mark.parametrize("listed", [True, False], ids=["few-people", "many-people"])
def test_enrolments_are_found_by_person_or_course_and_every_word_counts(
    client, admin_user, training, monkeypatch, listed, large
):
    if not listed:  # as when a word matches more people than are listed
        monkeypatch.setattr(search, "LISTED_PEOPLE", 0)
    if large:  # as on a table big enough for the search to be judged from a sample first
        monkeypatch.setattr("users.search._estimated_rows", lambda using, table: 1_000_000)
    sign_in(client, admin_user)
    assert _rows(client, ENROLMENTS, "freya") == {("fd01", "FIRE-1"), ("fd01", "GDPR-2")}
    assert _rows(client, ENROLMENTS, "davies") == {
        (user, code) for user in ("fd01", "oa03") for code in ("FIRE-1", "GDPR-2")
    }
    assert _rows(client, ENROLMENTS, "freya davies") == {("fd01", "FIRE-1"), ("fd01", "GDPR-2")}
    # A course's code or name, and a person and a course together.
    assert {code for _, code in _rows(client, ENROLMENTS, "fire")} == {"FIRE-1"}
    assert _rows(client, ENROLMENTS, "davies protection") == {
        ("fd01", "GDPR-2"),
        ("oa03", "GDPR-2"),
    }
    # Email, SIS ID and username.
    assert _rows(client, ENROLMENTS, "freya@acme") == {("fd01", "FIRE-1"), ("fd01", "GDPR-2")}
    assert _rows(client, ENROLMENTS, "SIS-77") == {("fk02", "FIRE-1"), ("fk02", "GDPR-2")}
    assert _rows(client, ENROLMENTS, "fk02 gdpr") == {("fk02", "GDPR-2")}
    assert _rows(client, ENROLMENTS, "nobody-by-this-name") == set()


def test_a_power_user_searches_only_their_own_organisation(client, power_user, training):
    sign_in(client, power_user)
    assert _rows(client, ENROLMENTS, "davies") == {("oa03", "FIRE-1"), ("oa03", "GDPR-2")}
    assert _rows(client, ENROLMENTS, "freya") == set()


def test_certificates_are_found_by_code_or_by_person(client, admin_user, training):
    sign_in(client, admin_user)
    certificate = training["certificate"]
    for term in (certificate.verification_code, certificate.verification_code.lower(), "freya"):
        page = client.get(CERTIFICATES, {"q": term})
        assert list(page.context["cl"].result_list) == [certificate], term
    assert not client.get(CERTIFICATES, {"q": "olu"}).context["cl"].result_list


def test_a_search_page_asks_the_same_few_queries_however_many_match(
    client, admin_user, make_user, training
):
    sign_in(client, admin_user)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(ENROLMENTS, {"q": "davies"}).status_code == 200
        return len(captured.captured_queries)

    before = queries()
    fire = training["enrolments"]["fd01", "FIRE-1"].course
    for n in range(5):
        person = make_user(username=f"dv{n}", last_name="Davies")
        enrollment_services.enrollment_create(
            user=person, course=fire, by=admin_user, reason="Test set-up"
        )
    assert queries() == before


def test_lists_count_up_to_a_cap_and_say_so(client, admin_user, training, monkeypatch):
    monkeypatch.setattr(counting, "COUNT_CAP", 3)
    sign_in(client, admin_user)
    page = client.get(ENROLMENTS, {"all": ""})
    text = page.content.decode()
    assert page.context["cl"].paginator.is_capped
    assert re.search(r"More than 3 enrol+ments — narrow them down", re.sub(r"\s+", " ", text))
    assert re.search(r"Select every matching enrol+ment", text)
    searched = re.sub(r"\s+", " ", client.get(ENROLMENTS, {"q": "davies"}).content.decode())
    assert "More than 3 results" in searched and "4 results" not in searched
    # Below the cap the count is exact.
    page = client.get(ENROLMENTS, {"q": "freya"})
    assert not page.context["cl"].paginator.is_capped
    assert re.search(r"\b2 enrol+ments\b", re.sub(r"\s+", " ", page.content.decode()))


def test_a_deleted_persons_enrolments_are_still_found(client, admin_user, training):
    freya = training["enrolments"]["fd01", "FIRE-1"].user
    user_services.user_delete(freya, by=admin_user, reason="Left")
    sign_in(client, admin_user)
    assert _rows(client, ENROLMENTS, "freya") == {("fd01", "FIRE-1"), ("fd01", "GDPR-2")}


def test_no_list_offers_uncapped_counts_of_every_filter_choice(client, admin_user, training):
    # Django's "Show counts" counts each filter choice over the whole list with no cap.
    sign_in(client, admin_user)
    for url in (ENROLMENTS, "/admin/users/user/", CERTIFICATES):
        with CaptureQueriesContext(connection) as plain:
            client.get(url)
        with CaptureQueriesContext(connection) as asked:
            page = client.get(url, {"_facets": "True"})
        assert page.status_code == 200
        assert "Show counts" not in page.content.decode()
        assert len(asked.captured_queries) == len(plain.captured_queries)
        assert not any("FILTER (WHERE" in query["sql"] for query in asked.captured_queries)
