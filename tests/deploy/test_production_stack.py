"""deploy/ as it runs in production: nginx terminating TLS in front of gunicorn, a task
worker beside them, Django with DEBUG off. Each check goes through nginx over HTTPS, as a
browser would, with the certificate verified."""

import re
import time

import pytest
import requests

from imports.models import ImportJob, ImportState
from tests.conftest import PASSWORD
from users.models import User, UserStatus

SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def csrf_token(response) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
    assert match, f"No CSRF token on {response.url}"
    return match.group(1)


def client(stack) -> requests.Session:
    """A client that trusts the stack's certificate only, and ignores the environment's CA
    bundle and proxies (which would otherwise override `verify`)."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(stack.cert)
    return session


def sign_in(stack, username: str) -> requests.Session:
    browser = client(stack)
    login_url = f"{stack.https_url}/admin/login/"
    form = browser.get(login_url)
    assert form.status_code == 200
    signed_in = browser.post(
        login_url,
        data={
            "csrfmiddlewaretoken": csrf_token(form),
            "username": username,
            "password": PASSWORD,
            "next": "/admin/",
        },
        headers={"Referer": login_url},
        allow_redirects=False,
    )
    assert signed_in.status_code == 302, signed_in.text[:2000]
    assert signed_in.headers["Location"] == "/admin/"
    cookies = {cookie.name: cookie for cookie in browser.cookies}
    assert cookies["sessionid"].secure and cookies["sessionid"].has_nonstandard_attr("HttpOnly")
    assert cookies["csrftoken"].secure
    return browser


def assert_security_headers(response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.headers.get(name))
    # Content-Security-Policy comes with issue 13's item 6 (django-csp); once it is there,
    # it must not let inline scripts run.
    policy = response.headers.get("Content-Security-Policy")
    if policy is not None:
        directives = dict(
            (part.split(None, 1) + [""])[:2] for part in policy.split(";") if part.strip()
        )
        scripts = directives.get("script-src", directives.get("default-src"))
        assert scripts is not None, policy
        assert "'unsafe-inline'" not in scripts, policy


def check_plain_http_and_the_proxy_header(stack) -> None:
    # Plain HTTP is only ever a redirect to HTTPS.
    redirect = client(stack).get(f"{stack.http_url}/admin/?q=1", allow_redirects=False)
    assert redirect.status_code == 301
    assert redirect.headers["Location"] == f"{stack.https_url}/admin/?q=1"
    # gunicorn reached without nginx: no X-Forwarded-Proto, so Django sends people to HTTPS
    # instead of serving a page it believes insecure.
    direct = client(stack).get(f"{stack.app_url}/admin/login/", allow_redirects=False)
    assert direct.status_code == 301
    assert direct.headers["Location"].startswith("https://")
    # A client cannot talk nginx into saying the request came over plain HTTP.
    spoofed = client(stack).get(
        f"{stack.https_url}/admin/login/",
        headers={"X-Forwarded-Proto": "http"},
        allow_redirects=False,
    )
    assert spoofed.status_code == 200
    assert_security_headers(spoofed)


def check_static_files(stack) -> None:
    css = client(stack).get(f"{stack.https_url}/static/admin/css/base.css")
    assert css.status_code == 200
    assert css.headers["Content-Type"] == "text/css"
    assert css.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" in css.headers
    # nginx answered, not Django: gunicorn's access log has no /static/ request.
    assert "/static/" not in stack.log("gunicorn")


def check_toggle(stack, browser, learner) -> None:
    toggle_url = f"{stack.https_url}/admin/users/user/{learner.pk}/toggle/"
    page = browser.get(toggle_url)
    assert page.status_code == 200
    assert_security_headers(page)
    # Without the CSRF token: refused, nothing changes.
    forged = browser.post(toggle_url, data={"reason": "Forged"}, headers={"Referer": toggle_url})
    assert forged.status_code == 403
    learner.refresh_from_db()
    assert learner.status == UserStatus.ACTIVE
    done = browser.post(
        toggle_url,
        data={"csrfmiddlewaretoken": csrf_token(page), "reason": "Left the company"},
        headers={"Referer": toggle_url},
        allow_redirects=False,
    )
    assert done.status_code == 302, done.text[:2000]
    learner.refresh_from_db()
    assert learner.status == UserStatus.INACTIVE
    assert learner.history.first().history_change_reason == "Left the company"


def check_upload_limit(stack, browser) -> None:
    upload_url = f"{stack.https_url}/admin/imports/importjob/new/"
    form = browser.get(upload_url)
    assert form.status_code == 200
    too_big = b"username,first_name\n" + b"x" * (stack.max_bytes + 128 * 1024)
    refused = browser.post(
        upload_url,
        data={"csrfmiddlewaretoken": csrf_token(form), "kind": "users", "encoding": "utf-8"},
        files={"file": ("people.csv", too_big, "text/csv")},
        headers={"Referer": upload_url},
    )
    assert refused.status_code == 413
    assert "larger than 0.25 MB" in refused.text
    assert "Nothing was saved" in refused.text
    assert not ImportJob.objects.exists()
    assert list(stack.upload_temp.iterdir()) == []
    assert list(stack.nginx_body_temp.rglob("*")) == []
    assert "POST /admin/imports/importjob/new/" not in stack.log("gunicorn")

    # A file within the limit goes through, and the worker checks it in the background.
    accepted = browser.post(
        upload_url,
        data={"csrfmiddlewaretoken": csrf_token(form), "kind": "users", "encoding": "utf-8"},
        files={"file": ("people.csv", b"username,first_name\nnew1,Ann\nnew2,Bob\n", "text/csv")},
        headers={"Referer": upload_url},
        allow_redirects=False,
    )
    assert accepted.status_code == 302, accepted.text[:2000]
    job = ImportJob.objects.get()
    deadline = time.monotonic() + 60
    while job.state in (ImportState.QUEUED, ImportState.CHECKING):
        assert time.monotonic() < deadline, stack.log("worker")[-3000:]
        time.sleep(0.2)
        job.refresh_from_db()
    assert job.state == ImportState.CHECKED, stack.log("worker")[-3000:]


@pytest.mark.deploy
def test_production_stack_over_tls(production_stack, admin_user, make_user):
    stack = production_stack
    learner = make_user()
    check_plain_http_and_the_proxy_header(stack)
    check_static_files(stack)
    browser = sign_in(stack, admin_user.username)
    home = browser.get(f"{stack.https_url}/admin/")
    assert home.status_code == 200 and "Training administration" in home.text
    assert_security_headers(home)
    check_toggle(stack, browser, learner)
    check_upload_limit(stack, browser)
    assert User.objects.filter(pk=learner.pk, status=UserStatus.INACTIVE).exists()
