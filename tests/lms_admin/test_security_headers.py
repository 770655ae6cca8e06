"""Every page carries a Content-Security-Policy that allows no inline script, and no page
needs one: no <script> without src, no on*= event-handler attribute, no javascript: URL.

The pages are fetched as the people who use them: every admin list, add and change page
(as a training admin), the report pages, the learner's home page, the sign-in and token
pages, and the API docs.
"""

import contextlib
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from users.models import Organisation

REPORT_PAGES = ["index", "analytics", "archived", "history", "changes"]


class InlineScriptFinder(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._open_script: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in {"href", "src", "action", "formaction"} and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            self._open_script = attributes

    def handle_data(self, data):
        script = self._open_script
        inline = script is not None and not script.get("src") and data.strip()
        if inline and script.get("type") not in {"application/json", "application/ld+json"}:
            self.found.append(f"<script> {data.strip()[:60]!r}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._open_script = None


def inline_scripts(html: str) -> list[str]:
    finder = InlineScriptFinder()
    finder.feed(html)
    return finder.found


def assert_strict_csp(response):
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives.get("script-src") == ["'self'"], policy
    assert directives.get("object-src") == ["'none'"], policy
    assert directives.get("default-src") == ["'self'"], policy
    assert "'unsafe-eval'" not in policy


def test_inline_script_finder_catches_what_it_should():
    found = inline_scripts(
        '<script src="/a.js"></script><script>alert(1)</script>'
        '<button onclick="go()">x</button><a href="javascript:go()">y</a>'
        '<script type="application/json">{"a": 1}</script>'
    )
    assert len(found) == 3, found


def admin_pages() -> list[str]:
    """Every registered model's list, add and change page, and the admin's own pages."""
    urls = [reverse("admin:index"), reverse("admin:password_change")]
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        with contextlib.suppress(NoReverseMatch):  # some lists have no add page
            urls.append(reverse("admin:{}_{}_add".format(*info)))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
            urls.append(reverse("admin:{}_{}_history".format(*info), args=[first.pk]))
    urls += [reverse(f"reports:{name}") for name in REPORT_PAGES]
    return urls


@pytest.fixture
def staff_client(client, admin_user, make_user, enrolled_in_every_state):
    enrolled_in_every_state(make_user(username="lee"))
    # A superuser opens every page the admin has, groups and task rows included.
    type(admin_user).objects.filter(pk=admin_user.pk).update(is_superuser=True)
    client.force_login(admin_user)
    return client


def test_every_admin_and_report_page_has_the_policy_and_no_inline_script(staff_client):
    checked = []
    for url in admin_pages():
        response = staff_client.get(url, follow=True)
        assert_strict_csp(response)
        if response.status_code == 403:  # e.g. task rows, which nobody adds by hand
            continue
        assert response.status_code == 200, url
        assert inline_scripts(response.content.decode()) == [], url
        checked.append(url)
    assert len(checked) > 20
    assert any(url.startswith("/admin/reports/") for url in checked)


def test_admin_popup_response_needs_no_inline_script(staff_client):
    """Adding an organisation from a related-field popup answers with Django's popup page,
    which passes its data in an attribute to a static script."""
    response = staff_client.post(
        reverse("admin:users_organisation_add") + "?_popup=1",
        {"name": "Popup Org", "slug": "popup-org", "_popup": "1"},
    )
    assert response.status_code == 200, response.content[:500]
    assert Organisation.objects.filter(slug="popup-org").exists()
    assert 'id="django-admin-popup-response-constants"' in response.content.decode()
    assert_strict_csp(response)
    assert inline_scripts(response.content.decode()) == []


def test_learner_and_account_pages_have_the_policy_and_no_inline_script(
    client, make_user, enrolled_in_every_state
):
    learner = make_user(username="learner-csp")
    enrolled_in_every_state(learner)
    for url in [reverse("login"), reverse("password_reset"), reverse("logout")]:
        response = client.get(url)
        assert response.status_code == 200
        assert_strict_csp(response)
        assert inline_scripts(response.content.decode()) == [], url
    client.force_login(learner)
    for url in [
        reverse("learner_home"),
        reverse("learner:home"),
        reverse("learner:certificates"),
        reverse("logout"),
        "/account/tokens/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict_csp(response)
        assert inline_scripts(response.content.decode()) == [], url


def test_api_docs_page_serves_swagger_ui_from_our_static_files(staff_client):
    response = staff_client.get("/api/docs/")
    assert response.status_code == 200
    assert_strict_csp(response)
    html = response.content.decode()
    assert inline_scripts(html) == []
    assert "cdn.jsdelivr.net" not in html and "//unpkg" not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    script = staff_client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_api_json_answers_carry_the_policy_too(staff_client):
    response = staff_client.get("/api/v1/accounts")
    assert response.status_code == 200
    assert_strict_csp(response)
