"""Search folds case and accents the same way on SQLite and PostgreSQL (users.folding):
the users page, the API's search_term, and the enrolments and certificates lists."""

import pytest
from django.db import connection

from enrollments import services as enrollment_services
from tests.api.conftest import client_for
from tests.conftest import PASSWORD
from users.folding import fold
from users.models import User
from users.search import users_matching

pytestmark = pytest.mark.django_db

ENROLMENTS = "/admin/enrollments/enrollment/"
CERTIFICATES = "/admin/enrollments/certificate/"


@pytest.fixture
def people(make_user):
    make_user(username="lukasz.k", first_name="Łukasz", last_name="Kowalski", email="lk@a.test")
    make_user(username="zoe.b", first_name="Zoë", last_name="Brontë", email="zb@a.test")
    make_user(username="zoe.c", first_name="Zoe", last_name="Clark", email="zc@a.test")
    make_user(username="sigrun", first_name="Sigrún", last_name="Straße", email="s@a.test")
    make_user(username="ann", first_name="Ann", last_name="Lee", email="ann@a.test")
    make_user(username="odysseas", first_name="Οδυσσέας", last_name="Li", email="o@a.test")


def found(term):
    return sorted(users_matching(User.objects.all(), term).values_list("username", flat=True))


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("łukasz", ["lukasz.k"]),
        ("ŁUKASZ", ["lukasz.k"]),
        ("lukasz", ["lukasz.k"]),
        ("ZOË", ["zoe.b", "zoe.c"]),
        ("zoe", ["zoe.b", "zoe.c"]),
        ("bronte", ["zoe.b"]),
        ("BRONTË zoë", ["zoe.b"]),
        ('"zoë brontë"', []),  # a phrase still never spans two columns
        ("STRASSE", ["sigrun"]),
        ("sigrun", ["sigrun"]),
        ("ANN", ["ann"]),
        # Greek's final sigma and σ are one letter, in either case.
        ("ΟΔΥΣΣΈΑΣ", ["odysseas"]),
        ("οδυσσεασ", ["odysseas"]),
        ("Οδυσσέας", ["odysseas"]),
        ("li", ["odysseas"]),
    ],
)
def test_search_folds_case_and_accents(people, term, expected):
    assert found(term) == expected


def test_a_quoted_phrase_is_folded_within_one_column(make_user):
    make_user(username="dlc", first_name="Ana", last_name="De La Crúz")
    assert found('"de la cruz"') == ["dlc"]


def test_the_python_fold_matches_the_databases(people):
    """The SQL function that both databases know folds as users.folding.fold does."""
    with connection.cursor() as cursor:
        for text in (
            "Łukasz",
            "ZOË",
            "Straße",
            "Ærø",
            "Ñandú",
            "ΟΔΥΣΣΈΑΣ",
            "Οδυσσέας",
            "µ-Lab",
            "ϐϑϕϖϰϱϵ",
            "plain",
        ):
            cursor.execute("SELECT lms_fold(%s)", [text])
            assert cursor.fetchone()[0] == fold(text), text


def test_the_users_page_and_the_api_search_fold(client, admin_user, people):
    assert client.login(username=admin_user.username, password=PASSWORD)
    page = client.get("/admin/users/user/", {"q": "ZOË", "status": "all"})
    assert page.status_code == 200
    assert {user.username for user in page.context["cl"].result_list} == {"zoe.b", "zoe.c"}
    api = client_for(admin_user)
    users_url = f"/api/v1/accounts/{admin_user.organisation_id}/users"
    listed = api.get(users_url, {"search_term": "łukasz"})
    assert listed.status_code == 200, listed.content
    assert [row["login_id"] for row in listed.json()] == ["lukasz.k"]


def test_enrolment_and_certificate_lists_fold_people_and_courses(client, admin_user, make_user):
    course = enrollment_services.course_create(
        code="ÉTÉ-1", name="Sécurité incendie", by=admin_user, reason="Test set-up"
    )
    zoe = make_user(username="zoe.b", first_name="Zoë", last_name="Brontë")
    enrolment = enrollment_services.enrollment_create(
        user=zoe, course=course, by=admin_user, reason="Test set-up"
    )
    enrollment_services.enrollment_set_state(enrolment, "completed", by=admin_user, reason="t")
    enrollment_services.certificate_issue(enrolment, by=admin_user, reason="Passed")
    assert client.login(username=admin_user.username, password=PASSWORD)
    for url in (ENROLMENTS, CERTIFICATES):
        for term in ("ZOË", "bronte", "securite", "ete-1", "SÉCURITÉ zoe"):
            page = client.get(url, {"q": term})
            assert page.status_code == 200
            assert len(page.context["cl"].result_list) == 1, (url, term)
