"""The admin site's navigation (lms_admin/plumbing/admin_site.py): the same app list as
Django's own for every kind of viewer, with its links resolved once per process."""

import pytest
from django.contrib import admin
from django.urls import clear_script_prefix, set_script_prefix

from lms_admin.plumbing.admin_site import LifecycleAdminSite, _admin_link

pytestmark = pytest.mark.django_db


def test_the_default_site_is_the_lifecycle_site():
    assert isinstance(admin.site, LifecycleAdminSite)
    assert admin.site.site_header == "Learner lifecycle admin"


@pytest.mark.parametrize("viewer", ["admin_user", "manager", "power_user"])
@pytest.mark.parametrize("label", [None, "users", "enrollments"])
def test_the_app_list_is_djangos_own_for_every_viewer(rf, request, viewer, label):
    request_ = rf.get("/admin/")
    request_.user = request.getfixturevalue(viewer)
    ours = admin.site._build_app_dict(request_, label)
    djangos = admin.AdminSite._build_app_dict(admin.site, request_, label)
    assert ours == djangos
    assert ours, "every role sees some of the admin"


def test_a_power_user_sees_fewer_models_than_a_training_admin(rf, admin_user, power_user):
    def models(person):
        request = rf.get("/admin/")
        request.user = person
        return {m["object_name"] for app in admin.site.get_app_list(request) for m in app["models"]}

    assert models(power_user) < models(admin_user)


def test_links_are_resolved_once_and_follow_the_script_prefix(rf, admin_user):
    request = rf.get("/admin/")
    request.user = admin_user
    admin.site._build_app_dict(request)
    misses = _admin_link.cache_info().misses
    apps = admin.site._build_app_dict(request)
    assert _admin_link.cache_info().misses == misses
    assert apps["users"]["app_url"] == "/admin/users/"

    set_script_prefix("/lms/")
    try:
        moved = admin.site._build_app_dict(request)
    finally:
        clear_script_prefix()
    assert moved["users"]["app_url"] == "/lms/admin/users/"
    assert moved["users"]["models"][0]["admin_url"].startswith("/lms/admin/users/")
