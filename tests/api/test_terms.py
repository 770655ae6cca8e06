"""GET /accounts/:id/terms and /accounts/:id/terms/:id, as Canvas's "List enrollment terms"
and "Retrieve enrollment term": an account's own terms, its parents' and the shared ones,
wrapped in `enrollment_terms`, paginated with Link headers; another organisation's term,
or none, answers Canvas's 404 alike."""

import datetime

import pytest

from enrollments import services as enrollment_services
from users import services as user_services

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


@pytest.fixture
def terms(organisation, partner, admin_user):
    """Acme's own fall term, its parent's spring term, a shared summer term with no dates,
    a term of its sub-organisation, and the partner's term."""
    parent = user_services.organisation_create(
        name="Acme Group", slug="acme-group", by=admin_user, reason="Test set-up"
    )
    user_services.organisation_update(organisation, parent=parent, by=admin_user, reason="t")
    child = user_services.organisation_create(
        name="Acme Retail", slug="acme-retail", parent=organisation, by=admin_user, reason="t"
    )

    def term(name, sis, owner, start=None, end=None):
        return enrollment_services.term_create(
            name=name,
            sis_term_id=sis,
            organisation=owner,
            start_at=start and datetime.datetime(*start, tzinfo=UTC),
            end_at=end and datetime.datetime(*end, tzinfo=UTC),
            by=admin_user,
            reason="Test set-up",
        )

    return {
        "fall": term("Fall 2025", "FALL25", organisation, (2025, 9, 1), (2025, 12, 20)),
        "spring": term("Spring 2026", "SPR26", parent, (2026, 1, 10), (2026, 5, 30)),
        "summer": term("Summer school", "SUM", None),
        "retail": term("Retail term", "RET", child, (2025, 1, 1)),
        "partner": term("Partner fall", "FALL25", partner, (2025, 9, 1)),
    }


def listed(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [term["name"] for term in response.json()["enrollment_terms"]]


def test_lists_the_accounts_own_its_parents_and_the_shared_terms(api, organisation, terms):
    response = api.get(f"/api/v1/accounts/{organisation.pk}/terms")
    # The latest first; a term without a start first of all, as in Canvas.
    assert listed(response) == ["Summer school", "Spring 2026", "Fall 2025"]
    fall = response.json()["enrollment_terms"][2]
    assert fall == {
        "id": terms["fall"].pk,
        "name": "Fall 2025",
        "start_at": "2025-09-01T00:00:00Z",
        "end_at": "2025-12-20T00:00:00Z",
        "created_at": fall["created_at"],
        "workflow_state": "active",
        "grading_period_group_id": None,
        "sis_term_id": "FALL25",
        "sis_import_id": None,
    }
    assert fall["created_at"].endswith("Z")
    assert 'rel="current"' in response["Link"]


def test_pages_follow_the_link_header(api, organisation, terms):
    url = f"http://testserver/api/v1/accounts/{organisation.pk}/terms?per_page=2"
    seen = []
    while url:
        response = api.get(url)
        seen += listed(response)
        links = dict(
            (part.split("; ")[1][5:-1], part.split("; ")[0][1:-1])
            for part in response["Link"].split(",")
        )
        url = links.get("next")
    assert seen == ["Summer school", "Spring 2026", "Fall 2025"]
    assert 'rel="last"' in response["Link"]


ALL = ["Summer school", "Spring 2026", "Fall 2025"]


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("workflow_state[]=active", ALL),
        ("workflow_state[]=all", ALL),
        ("workflow_state[]=deleted", []),
        ("workflow_state[]=deleted&workflow_state[]=active", ALL),
        ("term_name=fall", ["Fall 2025"]),
    ],
)
def test_filters(api, organisation, terms, query, names):
    assert listed(api.get(f"/api/v1/accounts/{organisation.pk}/terms?{query}")) == names


def test_an_unknown_workflow_state_is_a_canvas_400(api, organisation, terms):
    response = api.get(f"/api/v1/accounts/{organisation.pk}/terms?workflow_state[]=gone")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["attribute"] == "workflow_state[]"
    assert "gone is not a valid term workflow state" in error["message"]


def test_a_sub_account_lists_its_own_and_everything_above(api, terms):
    retail = terms["retail"].organisation
    names = listed(api.get(f"/api/v1/accounts/{retail.pk}/terms"))
    assert names == ["Summer school", "Spring 2026", "Fall 2025", "Retail term"]


def test_get_one_term_by_id_or_sis_term_id(api, organisation, terms):
    base = f"/api/v1/accounts/{organisation.pk}/terms"
    by_id = api.get(f"{base}/{terms['spring'].pk}")
    assert by_id.status_code == 200
    assert by_id.json()["sis_term_id"] == "SPR26"
    # The account's own FALL25, not the partner's.
    by_sis = api.get(f"{base}/sis_term_id:FALL25")
    assert by_sis.json()["id"] == terms["fall"].pk


def test_a_term_the_account_may_not_use_answers_as_one_that_does_not_exist(
    api, organisation, terms
):
    base = f"/api/v1/accounts/{organisation.pk}/terms"
    missing = api.get(f"{base}/987654321")
    assert missing.status_code == 404
    for other in (str(terms["partner"].pk), str(terms["retail"].pk), "sis_term_id:RET"):
        response = api.get(f"{base}/{other}")
        assert (response.status_code, response.json()) == (404, missing.json())
    assert api.get(f"{base}/sis_term_id:NOPE").json() == missing.json()


def test_a_power_user_reads_only_their_organisations_terms(power_api, partner, organisation, terms):
    names = listed(power_api.get(f"/api/v1/accounts/{partner.pk}/terms"))
    assert names == ["Summer school", "Partner fall"]
    assert listed(power_api.get("/api/v1/accounts/self/terms")) == names
    mine = power_api.get(f"/api/v1/accounts/{partner.pk}/terms/sis_term_id:FALL25")
    assert mine.json()["id"] == terms["partner"].pk
    missing = power_api.get("/api/v1/accounts/987654321/terms")
    theirs = power_api.get(f"/api/v1/accounts/{organisation.pk}/terms")
    assert (theirs.status_code, theirs.json()) == (404, missing.json())
    theirs = power_api.get(f"/api/v1/accounts/{partner.pk}/terms/{terms['fall'].pk}")
    assert theirs.status_code == 404


def test_a_manager_reads_terms(manager_api, organisation, terms):
    assert "Fall 2025" in listed(manager_api.get(f"/api/v1/accounts/{organisation.pk}/terms"))


def test_terms_are_read_only_here(api, organisation, terms):
    url = f"/api/v1/accounts/{organisation.pk}/terms"
    assert api.post(url, {"enrollment_term": {"name": "X"}}, format="json").status_code == 405
    assert api.delete(f"{url}/{terms['fall'].pk}").status_code == 405
