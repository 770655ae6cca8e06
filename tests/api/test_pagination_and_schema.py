"""Canvas pagination (absolute Link URLs that carry every filter) and the OpenAPI schema."""

from urllib.parse import parse_qs, urlsplit

import pytest

from lms_admin.api.base import CanvasPagination

COURSE = "/api/v1/courses/sis_course_id:SIS-SAFE101/enrollments"


def links(response) -> dict[str, str]:
    return {rel: url for url, rel in _parse(response.headers["Link"])}


def _parse(header):
    for part in header.split(","):
        url, rel = part.split(";")
        yield url.strip()[1:-1], rel.split("=")[1].strip('"')


@pytest.fixture
def many(course, make_user, enrol):
    for number in range(25):
        enrol(make_user(sis_user_id=f"P-{number:02d}"), course, ("active", "inactive")[number % 2])


def test_link_header_is_absolute_and_carries_every_filter(api, many, settings):
    settings.ALLOWED_HOSTS = ["lms.example.org", "testserver"]
    response = api.get(
        COURSE,
        {"state[]": ["active", "inactive"], "per_page": 10, "page": 2},
        HTTP_HOST="lms.example.org:8443",
    )
    found = links(response)
    assert set(found) == {"current", "next", "prev", "first", "last"}
    for url in found.values():
        assert url.startswith(
            "http://lms.example.org:8443/api/v1/courses/sis_course_id:SIS-SAFE101/"
        )
        assert parse_qs(urlsplit(url).query)["state[]"] == ["active", "inactive"]
        assert parse_qs(urlsplit(url).query)["per_page"] == ["10"]
    assert parse_qs(urlsplit(found["next"]).query)["page"] == ["3"]
    assert parse_qs(urlsplit(found["last"]).query)["page"] == ["3"]
    assert 'rel="next"' not in api.get(found["last"]).headers["Link"]


def test_per_page_defaults_to_10_and_stops_at_100(api, many):
    assert len(api.get(COURSE, {"state[]": "all"}).json()) == 10
    response = api.get(COURSE, {"state[]": "all", "per_page": 1000})
    assert len(response.json()) == 25
    assert "per_page=100" in response.headers["Link"]
    bad = api.get(COURSE, {"per_page": "lots"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["attribute"] == "per_page"
    assert api.get(COURSE, {"page": 0}).status_code == 400


def test_following_next_visits_every_row_once(api, many):
    seen, url = [], f"http://testserver{COURSE}?state[]=all&per_page=7"
    while url:
        response = api.get(url)
        seen += [row["id"] for row in response.json()]
        url = links(response).get("next")
    assert len(seen) == len(set(seen)) == 25


def test_last_is_left_out_when_counting_would_be_expensive(api, many, monkeypatch):
    monkeypatch.setattr(CanvasPagination, "COUNT_CAP", 5)
    found = links(api.get(COURSE, {"state[]": "all", "per_page": 2}))
    assert "last" not in found and "next" in found


def test_schema_and_docs_pages(client, admin_user):
    # Both need sign-in (issue 13): a staff session here.
    client.force_login(admin_user)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/courses/{course_id}/enrollments",
        "/api/v1/courses/{course_id}/enrollments/{enrollment_id}/reactivate",
        "/api/v1/users/{user_id}/history",
        "/api/v1/accounts/{account_id}/reports/archived",
    ):
        assert path in paths
    assert schema.json()["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert client.get("/api/docs/").status_code == 200
