"""The admin's navigation sidebar is written directly (users/templatetags/admin_sidebar.py):
the same markup as Django's `admin/app_list.html` with `show_changelinks=False`, for every
kind of viewer, on every admin page."""

import re

import pytest
from django.template.loader import get_template

from tests.conftest import PASSWORD
from users.templatetags.admin_sidebar import nav_sidebar_apps

pytestmark = pytest.mark.django_db


def tags_only(html: str) -> str:
    """The markup with the template's indentation between tags taken out."""
    return re.sub(r"\s*(<[^>]+>)\s*", r"\1", html).strip()


def both_ways(client, url):
    response = client.get(url)
    assert response.status_code == 200
    context = response.context
    django = get_template("admin/app_list.html").render(
        {"app_list": context["available_apps"], "show_changelinks": False},
        request=response.wsgi_request,
    )
    fast = nav_sidebar_apps(
        {"available_apps": context["available_apps"], "request": response.wsgi_request}
    )
    return tags_only(fast), tags_only(django), response.content.decode()


@pytest.mark.parametrize(
    "url", ["/admin/users/user/", "/admin/users/organisation/", "/admin/enrollments/course/"]
)
def test_a_training_admins_sidebar_is_djangos(client, admin_user, url):
    assert client.login(username=admin_user.username, password=PASSWORD)
    fast, django, page = both_ways(client, url)
    assert fast == django
    # The page being looked at is marked, and the sidebar is on the page.
    assert 'aria-current="page"' in fast and "current-model" in fast
    assert fast in tags_only(page)


@pytest.mark.parametrize("viewer", ["manager", "power_user"])
def test_a_narrower_roles_sidebar_is_djangos_too(client, viewer, request):
    person = request.getfixturevalue(viewer)
    assert client.login(username=person.username, password=PASSWORD)
    fast, django, _ = both_ways(client, "/admin/users/user/")
    assert fast == django
    assert 'class="addlink"' in fast or viewer == "manager"


def test_names_are_escaped(rf):
    apps = [
        {
            "app_label": "x",
            "app_url": "/admin/x/",
            "name": "A <b> & co",
            "models": [
                {"object_name": "Thing", "name": "<i>thing</i>", "admin_url": "/admin/x/thing/"}
            ],
        }
    ]
    request = rf.get("/admin/x/thing/")
    fast = nav_sidebar_apps({"available_apps": apps, "request": request})
    django = get_template("admin/app_list.html").render(
        {"app_list": apps, "show_changelinks": False}, request=request
    )
    assert tags_only(fast) == tags_only(django)
    assert "<b>" not in fast and "&lt;i&gt;thing&lt;/i&gt;" in fast
    assert nav_sidebar_apps({"available_apps": [], "request": request}).startswith("<p>")
